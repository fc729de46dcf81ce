import { columnIndex, columnLetter, quoteSheet } from '../../../api/sheets/a1.js';

/** A1 notation, as the Sheets API reads it: `'My sheet'!B2:D`, `Sheet1!3:3`, `A:C`, a bare sheet name. 1-based, inclusive. */
export interface A1Range {
  sheet?: string;
  startRow?: number;
  endRow?: number;
  startCol?: number;
  endCol?: number;
}

const CELL = /^([A-Za-z]{0,3})(\d*)$/;

export function parseA1(text: string): A1Range {
  let sheet: string | undefined;
  let cells = text;
  const bang = text.lastIndexOf('!');
  if (bang >= 0) {
    sheet = text.slice(0, bang);
    cells = text.slice(bang + 1);
  } else if (!/^[A-Za-z]{0,3}\d*(:[A-Za-z]{0,3}\d*)?$/.test(text)) {
    return { sheet: unquote(text) };
  }
  if (sheet !== undefined) sheet = unquote(sheet);
  const [a, b] = cells.split(':');
  const start = CELL.exec(a ?? '');
  const end = CELL.exec(b ?? a ?? '');
  if (!start || !end || (!start[1] && !start[2])) throw new Error(`Unable to parse range: ${text}`);
  const range: A1Range = { sheet };
  if (start[1]) range.startCol = columnIndex(start[1]);
  if (start[2]) range.startRow = Number(start[2]);
  if (end[1]) range.endCol = columnIndex(end[1]);
  if (end[2]) range.endRow = Number(end[2]);
  return range;
}

function unquote(s: string): string {
  return s.startsWith("'") && s.endsWith("'") ? s.slice(1, -1).replace(/''/g, "'") : s;
}

export function formatA1(sheet: string, r1: number, c1: number, r2: number, c2: number): string {
  return `${quoteSheet(sheet)}!${columnLetter(c1)}${r1}:${columnLetter(c2)}${r2}`;
}
