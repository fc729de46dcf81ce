import { DEFAULT_STATUS_COLUMN, FIELDS, LEAD_FIELDS, type Field } from '../../../shared/index.js';
import type { OutputColumn } from '../contract.js';

/** 1 → `A`, 27 → `AA`: how the sheet names a column. */
export function columnLetter(index: number): string {
  let s = '';
  for (let n = index; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

export const STATUS_HEADER = DEFAULT_STATUS_COLUMN;
const SUFFIX = ' (Cascade)';

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Where each asked field would be written: a column already headed with its
 * label (or catalogue name), unless that column is one of the inputs — a
 * "Company name" input must never be overwritten by enrichment — otherwise a
 * new column after the last used one, in the order asked; then the status
 * column. Headers are what the API looks columns up by.
 */
export function proposeOutputs(
  headers: readonly string[],
  fields: readonly Field[],
  inputColumns: readonly number[],
): { outputs: Partial<Record<Field, OutputColumn>>; status: OutputColumn } {
  let next = headers.length + 1;
  const place = (names: string[], fresh: string): OutputColumn => {
    const at = headers.findIndex((h, i) => !inputColumns.includes(i + 1) && names.some((n) => same(h, n)));
    if (at >= 0) return { letter: columnLetter(at + 1), header: headers[at]!, exists: true };
    return { letter: columnLetter(next++), header: fresh, exists: false };
  };
  const outputs: Partial<Record<Field, OutputColumn>> = {};
  for (const f of fields) {
    const label: string = FIELDS[f].label;
    const clash = headers.some((h, i) => inputColumns.includes(i + 1) && same(h, label));
    outputs[f] = place([label, label + SUFFIX, f], clash ? label + SUFFIX : label);
  }
  return { outputs, status: place([STATUS_HEADER], STATUS_HEADER) };
}

/** Headers only the lead pipeline writes ("Duplicate of" holds emails, yet is no input). */
const LEAD_HEADERS = LEAD_FIELDS.map((f) => FIELDS[f].label.toLowerCase());

/** Whether a header is one Cascade writes: such columns are outputs, not proposed as inputs. */
export function isOutputHeader(header: string): boolean {
  const h = header.trim().toLowerCase();
  return h === STATUS_HEADER.toLowerCase() || h.endsWith(SUFFIX.toLowerCase()) || (Object.keys(FIELDS) as string[]).includes(h) || LEAD_HEADERS.includes(h);
}
