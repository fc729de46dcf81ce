import { FIELDS, type Field } from '../../shared/index.js';
import { columnIndex } from './a1.js';

/** 1–3 capitals are a column letter; anything else is header text. */
const LETTERS = /^[A-Z]{1,3}$/;

export interface ColumnPlan {
  /** 0-based column of each field, and of the status. */
  fields: Record<string, number>;
  status: number;
  /** One past the rightmost column a row write touches. */
  width: number;
  /** Header cells to fill: columns created, or named by letter over an empty header. */
  headers: { col: number; text: string }[];
}

const norm = (s: string) => s.trim().toLowerCase();

/**
 * Places each asked field and the status in a column: by letter, by a header
 * already in the header row, or in a new column after the last used one.
 */
export function planColumns(header: readonly string[], fields: readonly Field[], refs: Record<string, string>, statusRef: string): ColumnPlan {
  const headers: ColumnPlan['headers'] = [];
  const asked = [
    ...fields.map((f) => ({ key: f as string, ref: refs[f] ?? FIELDS[f].label, label: FIELDS[f].label })),
    { key: '', ref: statusRef, label: statusRef },
  ];
  const taken = new Set<number>();
  let next = header.length;
  for (const a of asked) if (LETTERS.test(a.ref)) next = Math.max(next, columnIndex(a.ref));
  const place = (a: (typeof asked)[number]): number => {
    if (LETTERS.test(a.ref)) {
      const col = columnIndex(a.ref) - 1;
      if (!header[col]?.trim()) headers.push({ col, text: a.label });
      return col;
    }
    const found = header.findIndex((h, i) => !taken.has(i) && norm(h) === norm(a.ref));
    if (found >= 0) return found;
    headers.push({ col: next, text: a.ref });
    return next++;
  };
  const out: Record<string, number> = {};
  let status = -1;
  for (const a of asked) {
    const col = place(a);
    taken.add(col);
    if (a.key) out[a.key] = col;
    else status = col;
  }
  const width = Math.max(...Object.values(out), status) + 1;
  return { fields: out, status, width, headers };
}

/** Two asked columns naming the same letter or header would overwrite each other: refused at submission. */
export function duplicateRef(fields: readonly Field[], refs: Record<string, string>, statusRef: string): string | undefined {
  const seen = new Set<string>();
  for (const ref of [...fields.map((f) => refs[f] ?? FIELDS[f].label), statusRef]) {
    const k = LETTERS.test(ref) ? `#${ref}` : norm(ref);
    if (seen.has(k)) return ref;
    seen.add(k);
  }
  return undefined;
}
