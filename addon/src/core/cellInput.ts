import { INPUT_KINDS, type InputKind, type RowInput } from '../../../shared/index.js';
import { kindOfValue } from '../../../shared/index.js';

export type CellInput = { ok: true; input: RowInput } | { ok: false; message: string };

/**
 * What `=CASCADE(A2, "company.name")` sends for the cell's value: an email,
 * a LinkedIn URL or a domain/website by their look, anything else as a
 * company name — or the kind the third argument names.
 */
export function cellToInput(value: unknown, kind?: unknown): CellInput {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!text) return { ok: false, message: 'the input cell is empty' };
  if (kind !== undefined && kind !== null && kind !== '') {
    if (!(INPUT_KINDS as readonly unknown[]).includes(kind)) {
      return { ok: false, message: `"${String(kind)}" is not an input kind; use one of ${INPUT_KINDS.join(', ')}` };
    }
    return { ok: true, input: byKind(kind as InputKind, text) };
  }
  return { ok: true, input: byKind(kindOfValue(text) ?? 'company', text) };
}

function byKind(kind: InputKind, text: string): RowInput {
  switch (kind) {
    case 'email':
      return { email: text };
    case 'domain':
      return { domain: text };
    case 'linkedinUrl':
      return { linkedinUrl: text };
    case 'company':
      return { company: text };
    case 'name':
      return { fullName: text };
  }
}

/** A field value as a cell shows it: lists joined, everything else as is. */
export function cellValue(v: unknown): string | number | boolean {
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  return v === undefined || v === null ? '' : String(v);
}
