import type { Sheet, Spreadsheet } from '../../test/google/sheets/index.js';
import type { CellValue, RangeRef } from './protocol.js';

const exception = (message: string) => Object.assign(new Error(message), { name: 'Exception' });

/**
 * SpreadsheetApp's behaviour over the shared in-memory grid — the same grid
 * the local Sheets API server serves to the API's googleapis client, so what
 * the API writes is what the add-on reads. Empty cells read as '' (as in
 * Apps Script); ranges past the grid are refused as Apps Script refuses them.
 */
export class SpreadsheetHost {
  activeSheetId: number;
  /** Each tab's selection, as Sheets keeps one per tab; a tab never clicked has A1 selected. */
  private readonly selections = new Map<number, Omit<RangeRef, 'sheetId'>>();

  constructor(readonly book: Spreadsheet) {
    const first = book.sheets[0];
    if (!first) throw new Error('emulator: the spreadsheet has no tab');
    this.activeSheetId = first.sheetId;
  }

  sheet(sheetId: number): Sheet {
    const s = this.book.sheetById(sheetId);
    if (!s) throw exception('The sheet was deleted.');
    return s;
  }

  active(): number {
    // A deleted active tab falls back to the first, as the UI does.
    if (!this.book.sheetById(this.activeSheetId)) this.activeSheetId = this.book.sheets[0]!.sheetId;
    return this.activeSheetId;
  }

  /** What the user clicked or dragged over: the tab's selection (the preview's grid and tests set it). */
  select(sheetId: number, row: number, column = 1, rows = 1, columns = 1): void {
    this.sheet(sheetId);
    if (![row, column, rows, columns].every((n) => Number.isInteger(n) && n >= 1))
      throw new Error(`emulator: not a range: ${row},${column} ${rows}×${columns}`);
    this.selections.set(sheetId, { row, column, rows, columns });
  }

  /** The tab's selection, active or not (what the preview's grid highlights). */
  selection(sheetId: number): RangeRef {
    return { sheetId, ...(this.selections.get(sheetId) ?? { row: 1, column: 1, rows: 1, columns: 1 }) };
  }

  /** Sheet.getActiveRange(): the selection of the active tab; another tab's is not active, so null. */
  activeRange(sheetId: number): RangeRef | null {
    this.sheet(sheetId);
    return sheetId === this.active() ? this.selection(sheetId) : null;
  }

  lastRow(sheetId: number): number {
    const s = this.sheet(sheetId);
    const rows = s.values(1, 1);
    for (let r = rows.length; r >= 1; r--) if (rows[r - 1]!.some((v) => v !== undefined && v !== '')) return r;
    return 0;
  }

  lastColumn(sheetId: number): number {
    const s = this.sheet(sheetId);
    let last = 0;
    for (const row of s.values(1, 1)) {
      for (let c = row.length; c > last; c--) {
        if (row[c - 1] !== undefined && row[c - 1] !== '') {
          last = c;
          break;
        }
      }
    }
    return last;
  }

  private check(s: Sheet, r: RangeRef): void {
    if (r.row + r.rows - 1 > s.rowCount || r.column + r.columns - 1 > s.columnCount) {
      throw exception('The coordinates of the range are outside the dimensions of the sheet.');
    }
  }

  get(r: RangeRef): CellValue[][] {
    const s = this.sheet(r.sheetId);
    this.check(s, r);
    return s.values(r.row, r.column, r.row + r.rows - 1, r.column + r.columns - 1).map((line) => line.map((v) => v ?? ''));
  }
}
