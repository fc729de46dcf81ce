import type { FieldValue } from '../../../shared/index.js';
import type { Predicate } from '../../config/pipeline.js';
import type { FieldValues } from '../../providers/types.js';

/** What rules read: a lead's values, and its score once scored. */
export interface Facts {
  values: FieldValues;
  score?: number;
}

const factOf = (facts: Facts, field: Predicate['field']): FieldValue | undefined => (field === 'score' ? facts.score : facts.values[field]);

/** A number in a value, if it holds one: "1,200" and "1200" count, "about 50" does not. */
function asNumber(v: FieldValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const n = Number(v.replaceAll(',', '').trim());
  return v.trim() !== '' && Number.isFinite(n) ? n : undefined;
}

const same = (a: FieldValue, b: string | number) => (typeof b === 'number' ? asNumber(a) === b : String(a).trim().toLowerCase() === b.trim().toLowerCase());

/** Whether the predicate holds. Pure: the same facts give the same answer, on every run and every replay. */
export function holds(p: Predicate, facts: Facts): boolean {
  const v = factOf(facts, p.field);
  const present = v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0);
  if (p.present !== undefined) return present === p.present;
  if (!present) return false;
  if (p.between) {
    const n = asNumber(v as FieldValue);
    const [lo, hi] = p.between;
    return n !== undefined && (lo === null || n >= lo) && (hi === null || n <= hi);
  }
  if (p.in) return Array.isArray(v) ? v.some((x) => p.in!.some((w) => same(x, w))) : p.in.some((w) => same(v as FieldValue, w));
  if (p.contains !== undefined) {
    const want = p.contains.toLowerCase();
    return Array.isArray(v) ? v.some((x) => x.toLowerCase() === want) : String(v).toLowerCase().includes(want);
  }
  return false;
}
