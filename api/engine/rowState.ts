import type { RowFlagCode, Field, RowStatus } from '../../shared/index.js';
import type { FieldValues, Provider } from '../providers/types.js';

export interface Provenance {
  provider: string;
  fetchedAt: number;
  cached: boolean;
  /** Guessed by a predictive provider (an LLM), with its confidence: not a found value. */
  predicted?: true;
  confidence?: number;
}

/**
 * A row's checkpoint between claims. `answered` providers are never asked
 * again for this row; `failed` ones are skipped until the row is retried.
 */
export interface RowState {
  values: FieldValues;
  provenance: Partial<Record<Field, Provenance>>;
  answered: string[];
  failed: Record<string, { code: RowFlagCode; message: string }>;
  attempts: Record<string, number>;
  /** The row was submitted asking for predictions where no data provider finds a value. */
  predict?: boolean;
}

export const emptyState = (): RowState => ({ values: {}, provenance: {}, answered: [], failed: {}, attempts: {} });

export function restoreState(saved: unknown): RowState {
  return saved && typeof saved === 'object' ? { ...emptyState(), ...(saved as Partial<RowState>) } : emptyState();
}

const MAX_LIST = 100;

/** Fields no data provider has found: empty, or only predicted. */
export const missingFields = (state: RowState, fields: readonly Field[]) =>
  fields.filter((f) => state.values[f] === undefined || state.provenance[f]?.predicted);

/**
 * Takes from an answer only the fields still missing: a found value is never
 * overwritten (lists are merged), a prediction never replaces anything, and a
 * found value does replace a prediction (a retried data provider beats a guess).
 */
export function applyAnswer(
  state: RowState,
  provider: Provider,
  values: FieldValues,
  fetchedAt: number,
  cached: boolean,
  fields: readonly Field[],
  confidence?: Partial<Record<Field, number>>,
): void {
  state.answered.push(provider.id);
  delete state.attempts[provider.id];
  for (const f of fields) {
    const v = values[f];
    const had = state.values[f];
    // Lists (a tech stack) add up across data providers: each sees different signs. Provenance stays with the first.
    if (Array.isArray(v) && Array.isArray(had) && !provider.predictive && !state.provenance[f]?.predicted) {
      state.values[f] = [...new Set([...had, ...v])].slice(0, MAX_LIST);
      continue;
    }
    if (v === undefined || !(had === undefined || (!provider.predictive && state.provenance[f]?.predicted))) continue;
    state.values[f] = v;
    state.provenance[f] = provider.predictive
      ? { provider: provider.id, fetchedAt, cached, predicted: true, confidence: confidence?.[f] ?? 0 }
      : { provider: provider.id, fetchedAt, cached };
  }
}

export interface Verdict {
  status: Extract<RowStatus, 'matched' | 'partial' | 'no_match' | 'failed'>;
  error?: { code: RowFlagCode; message: string };
}

/**
 * A row whose missing fields some provider could still have supplied, had it
 * not failed, is `failed` (and retryable) even if other fields were found.
 */
export function verdict(state: RowState, fields: readonly Field[], providers: readonly Provider[]): Verdict {
  const missing = missingFields(state, fields);
  if (missing.length === 0) return { status: 'matched' };
  const blocking = providers.find((p) => state.failed[p.id] && p.fields.some((f) => missing.includes(f)));
  if (blocking) return { status: 'failed', error: state.failed[blocking.id]! };
  return { status: missing.length < fields.length ? 'partial' : 'no_match' };
}
