import type { RowFlagCode, Field, RowResult, RowStatus } from '../../shared/index.js';
import type { RowState } from './rowState.js';

/** The public shape of a row: only the fields the job asked for, provenance with readable times. */
export function toRowResult(
  key: string,
  status: RowStatus,
  state: RowState | null,
  fields: readonly Field[],
  error?: { code: RowFlagCode; message: string },
): RowResult {
  const result: RowResult = { key, status, values: {}, sources: {}, provenance: {} };
  if (state) {
    for (const f of fields) {
      const v = state.values[f];
      const p = state.provenance[f];
      if (v === undefined || !p) continue;
      result.values[f] = v;
      result.sources[f] = p.provider;
      result.provenance[f] = {
        provider: p.provider,
        fetchedAt: new Date(p.fetchedAt).toISOString(),
        cached: p.cached,
        ...(p.predicted ? { predicted: true, confidence: p.confidence ?? 0 } : {}),
      };
    }
  }
  if (error) result.error = error;
  return result;
}
