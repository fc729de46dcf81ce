import type { Field, InputKind, RowInput } from '../../shared/index.js';
import type { Provider } from '../providers/types.js';
import { normalizeInput, type Normalized, type NormalizedInput } from './normalize.js';

export type Admitted = Extract<Normalized, { ok: true }> | { ok: false; message: string };

const hasKinds = (p: Provider, kinds: ReadonlySet<InputKind>) => p.inputs.every((k) => kinds.has(k));

/** Whether a row's input gives the provider all it looks up by, in a form it can be asked with. */
export const canRead = (p: Provider, row: { kinds: ReadonlySet<InputKind>; input: NormalizedInput }) => hasKinds(p, row.kinds) && !p.unusableInput?.(row.input);

/**
 * Whether a row can go into the waterfall: its input normalises, and some
 * configured provider can look up one of the asked fields from what it
 * carries. Otherwise the row is flagged invalid_input with the reason,
 * before anyone is called.
 */
export function admit(providers: readonly Provider[], raw: RowInput, fields: readonly Field[]): Admitted {
  const norm = normalizeInput(raw);
  if (!norm.ok) return { ok: false, message: `${norm.field}: ${norm.message}` };
  const relevant = providers.filter((p) => p.fields.some((f) => fields.includes(f)));
  if (relevant.some((p) => canRead(p, norm))) return norm;
  const unusable = relevant
    .filter((p) => hasKinds(p, norm.kinds))
    .map((p) => p.unusableInput?.(norm.input))
    .find(Boolean);
  if (unusable) return { ok: false, message: unusable };
  const needs = [...new Set(relevant.map((p) => p.inputs.join(' + ')))].join(' or ');
  return { ok: false, message: `input: no provider can look up these fields from ${[...norm.kinds].join(', ')}; add ${needs}` };
}
