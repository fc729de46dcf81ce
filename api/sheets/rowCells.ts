import type { Field, FieldValue, RowResult } from '../../shared/index.js';
import type { SheetLayout } from '../storage/schema/index.js';
import { statusText } from './statusText.js';

const cellOf = (v: FieldValue): string | number | boolean => (Array.isArray(v) ? v.join(', ') : v);

/**
 * One sheet row as the Values API takes it, from column A: a null cell is
 * skipped by Sheets, so the user's own columns between ours are left alone,
 * and a field with no value leaves whatever the cell held.
 */
export function rowCells(row: RowResult, fields: readonly Field[], layout: SheetLayout): (string | number | boolean | null)[] {
  const cells: (string | number | boolean | null)[] = new Array(layout.width).fill(null);
  for (const f of fields) {
    const v = row.values[f];
    const col = layout.fields[f];
    if (v !== undefined && col !== undefined) cells[col] = cellOf(v);
  }
  cells[layout.status] = statusText(row, fields);
  return cells;
}
