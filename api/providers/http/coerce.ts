import { cutText, type FieldValue } from '../../../shared/index.js';

const MAX_TEXT = 4000;
const MAX_ITEMS = 100;
const MAX_ITEM = 500;

/** Bounds whatever a provider sent into a storable field value; anything else is treated as absent. */
export function coerceValue(v: unknown): FieldValue | undefined {
  if (typeof v === 'string') {
    const s = v.trim();
    return s ? cutText(s, MAX_TEXT) : undefined;
  }
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v)) {
    const items = v
      .map((x) => (typeof x === 'string' || typeof x === 'number' ? cutText(String(x).trim(), MAX_ITEM) : ''))
      .filter(Boolean)
      .slice(0, MAX_ITEMS);
    return items.length ? items : undefined;
  }
  return undefined;
}
