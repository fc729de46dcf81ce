import { formatA1, parseA1 } from './a1.js';
import { invalidArgument } from './googleError.js';
import { GridError, type Cell, type CellValue, type Sheet, type Spreadsheet } from './grid.js';

/** A block of a tab that a range or data filter selected: 1-based, inclusive. */
export interface Block {
  sheet: Sheet;
  row1: number;
  col1: number;
  row2: number;
  col2: number;
}

export interface DataFilter {
  a1Range?: string;
  gridRange?: { sheetId?: number; startRowIndex?: number; endRowIndex?: number; startColumnIndex?: number; endColumnIndex?: number };
  developerMetadataLookup?: {
    metadataId?: number;
    metadataKey?: string;
    metadataValue?: string;
    locationType?: string;
    metadataLocation?: { sheetId?: number };
  };
}

export function blockOfA1(book: Spreadsheet, range: string): Block {
  let r: ReturnType<typeof parseA1>;
  try {
    r = parseA1(range);
  } catch {
    throw invalidArgument(`Unable to parse range: ${range}`);
  }
  const sheet = r.sheet === undefined ? book.sheets[0] : book.sheet(r.sheet);
  if (!sheet) throw invalidArgument(`Unable to parse range: ${range}`);
  return {
    sheet,
    row1: r.startRow ?? 1,
    col1: r.startCol ?? 1,
    row2: r.endRow ?? (r.startRow !== undefined && r.startCol === undefined ? r.startRow : sheet.rowCount),
    col2: r.endCol ?? (r.startCol !== undefined && r.startRow === undefined ? r.startCol : sheet.columnCount),
  };
}

/** The blocks a data filter selects now. A row anchor selects its whole row, wherever the row has moved. */
export function blocksOfFilter(book: Spreadsheet, f: DataFilter): Block[] {
  if (f.a1Range) return [blockOfA1(book, f.a1Range)];
  if (f.gridRange) {
    const g = f.gridRange;
    const sheet = book.sheetById(g.sheetId ?? 0);
    if (!sheet) throw invalidArgument(`No grid with id: ${g.sheetId ?? 0}`);
    return [
      {
        sheet,
        row1: (g.startRowIndex ?? 0) + 1,
        col1: (g.startColumnIndex ?? 0) + 1,
        row2: g.endRowIndex ?? sheet.rowCount,
        col2: g.endColumnIndex ?? sheet.columnCount,
      },
    ];
  }
  if (f.developerMetadataLookup) {
    const q = f.developerMetadataLookup;
    return book.lookup({ ...q, sheetId: q.metadataLocation?.sheetId }).flatMap((a): Block[] => {
      if (!a.sheet) return [];
      const row = a.sheet.rowOf(a);
      if (row !== undefined) return [{ sheet: a.sheet, row1: row, col1: 1, row2: row, col2: a.sheet.columnCount }];
      return [{ sheet: a.sheet, row1: 1, col1: 1, row2: a.sheet.rowCount, col2: a.sheet.columnCount }];
    });
  }
  throw invalidArgument('DataFilter must set one of a1Range, gridRange or developerMetadataLookup');
}

/** What a value becomes when entered: RAW keeps strings as typed; USER_ENTERED parses numbers and formulas. */
function entered(v: CellValue, option: string): Cell {
  if (option === 'USER_ENTERED' && typeof v === 'string') {
    if (v.startsWith('=')) return { value: v, formula: v };
    if (v.trim() !== '' && Number.isFinite(Number(v))) return { value: Number(v) };
  }
  return { value: v };
}

/**
 * Writes values at a block's top-left corner. As in the Sheets API: a null
 * value is skipped (the cell keeps what it had), an empty string clears it.
 */
export function writeBlock(block: Block, values: (CellValue | null)[][], option: string, majorDimension = 'ROWS') {
  if (option !== 'RAW' && option !== 'USER_ENTERED') throw invalidArgument(`Invalid valueInputOption: ${option || '(missing)'}`);
  const rows = majorDimension === 'COLUMNS' ? transpose(values) : values;
  let cells = 0;
  let width = 0;
  try {
    rows.forEach((line, i) => {
      width = Math.max(width, line.length);
      line.forEach((v, j) => {
        if (v === null || v === undefined) return;
        block.sheet.setCell(block.row1 + i, block.col1 + j, v === '' ? undefined : entered(v, option));
        cells++;
      });
    });
  } catch (err) {
    if (err instanceof GridError) throw invalidArgument(err.message);
    throw err;
  }
  const r2 = block.row1 + Math.max(rows.length, 1) - 1;
  const c2 = block.col1 + Math.max(width, 1) - 1;
  return {
    updatedRange: formatA1(block.sheet.title, block.row1, block.col1, r2, c2),
    updatedRows: rows.length,
    updatedColumns: width,
    updatedCells: cells,
  };
}

function transpose(values: (CellValue | null)[][]): (CellValue | null)[][] {
  const out: (CellValue | null)[][] = [];
  for (const [j, col] of values.entries()) for (const [i, v] of col.entries()) (out[i] ??= [])[j] = v;
  return out;
}

/** A block's values as the API returns them: trailing empty cells and rows left off; FORMATTED_VALUE gives strings. */
export function readBlock(block: Block, render = 'FORMATTED_VALUE') {
  const rows = block.sheet.values(block.row1, block.col1, block.row2, block.col2).map((line) => {
    let end = line.length;
    while (end > 0 && line[end - 1] === undefined) end--;
    return line.slice(0, end).map((v) => (v === undefined ? '' : render === 'FORMATTED_VALUE' ? String(v) : v));
  });
  while (rows.length > 0 && rows[rows.length - 1]!.length === 0) rows.pop();
  return {
    range: formatA1(block.sheet.title, block.row1, block.col1, Math.min(block.row2, block.sheet.rowCount), Math.min(block.col2, block.sheet.columnCount)),
    majorDimension: 'ROWS',
    ...(rows.length ? { values: rows } : {}),
  };
}
