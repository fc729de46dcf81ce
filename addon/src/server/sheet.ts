import { INPUT_LIMITS, cutText, type RowInput } from '../../../shared/index.js';
import type { ColumnView, InputColumns, InputKey, SheetView } from '../contract.js';
import { AddonError } from '../core/apiErrors.js';
import { columnLetter } from '../core/columns.js';
import { detectInputs } from '../core/detect.js';
import type { CellValue, GasSheet, GasSpreadsheet } from './gas.js';

/** Rows read below the header to recognise columns by their values. */
const SAMPLE_ROWS = 25;

/** A cell as input text: dates and booleans are no lead's email or domain. */
export function cellText(v: CellValue): string {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number') return String(v);
  return '';
}

export function findSheet(book: GasSpreadsheet, name: string, id?: number): GasSheet {
  // By id first: the user may have renamed the tab since the job started.
  const byId = id === undefined ? undefined : book.getSheets().find((s) => s.getSheetId() === id);
  const sheet = byId ?? book.getSheetByName(name);
  if (!sheet) throw new AddonError(`There is no tab named "${name}" any more; reopen the sidebar on the tab to enrich.`);
  return sheet;
}

export function describeSheet(sheet: GasSheet, headerRow: number): SheetView {
  const lastCol = sheet.getLastColumn();
  const lastRow = sheet.getLastRow();
  const name = sheet.getName();
  if (lastCol === 0 || lastRow < headerRow) return { name, headerRow, columns: [], dataRows: 0, proposed: {} };
  const headers = sheet
    .getRange(headerRow, 1, 1, lastCol)
    .getValues()[0]!
    .map((v) => cellText(v));
  const sampleCount = Math.min(SAMPLE_ROWS, lastRow - headerRow);
  const block = sampleCount > 0 ? sheet.getRange(headerRow + 1, 1, sampleCount, lastCol).getValues() : [];
  const samples = headers.map((_, c) => block.map((row) => cellText(row[c]!)));
  const columns: ColumnView[] = headers.map((header, c) => ({
    column: c + 1,
    letter: columnLetter(c + 1),
    header,
    sample: samples[c]!.filter((v) => v !== '').slice(0, 3),
  }));
  return { name, headerRow, columns, dataRows: lastRow - headerRow, proposed: detectInputs(headers, samples) };
}

export interface SheetRow {
  key: string;
  input: RowInput;
}

/**
 * The input of sheet rows `from..to`, keyed by row number, empty rows left
 * out. A value longer than the API accepts is cut just past that length (on a
 * code point), so batches stay small and the API still flags that row as too long.
 */
export function readRows(sheet: GasSheet, inputs: InputColumns, from: number, to: number): SheetRow[] {
  if (to < from) return [];
  const n = to - from + 1;
  const columns = (Object.entries(inputs) as [InputKey, number][]).map(([key, col]) => [key, sheet.getRange(from, col, n, 1).getValues()] as const);
  const rows: SheetRow[] = [];
  for (let i = 0; i < n; i++) {
    const input: RowInput = {};
    for (const [key, values] of columns) {
      const text = cellText(values[i]![0]!);
      if (text) input[key] = cutText(text, INPUT_LIMITS[key] + 1);
    }
    if (Object.keys(input).length > 0) rows.push({ key: String(from + i), input });
  }
  return rows;
}

export function checkInputColumns(sheet: GasSheet, inputs: InputColumns): void {
  const last = sheet.getLastColumn();
  for (const [key, col] of Object.entries(inputs)) {
    if (col > last) throw new AddonError(`inputs.${key}: column ${columnLetter(col)} is past the last column of the tab.`);
  }
}
