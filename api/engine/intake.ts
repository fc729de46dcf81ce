import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Field, RowInput } from '../../shared/index.js';
import { CascadeError } from '../errors.js';
import type { Provider } from '../providers/types.js';
import type { NewRow } from '../storage/jobs.js';
import { admit } from './admit.js';
import type { RowState } from './rowState.js';
import { settleFromCache, type SettleDeps } from './settleFromCache.js';

/** A checker of a job's fields: each must be one some configured provider supplies (a predictive one only when asked to predict). */
export function fieldCheck(providers: readonly Provider[]): (fields: Field[], predict?: boolean) => void {
  const suppliable = new Set(providers.filter((p) => !p.predictive).flatMap((p) => p.fields));
  const predictable = new Set(providers.flatMap((p) => p.fields));
  return (fields, predict = false) =>
    fields.forEach((f, i) => {
      if (suppliable.has(f) || (predict && predictable.has(f))) return;
      const hint = predictable.has(f) ? ' except a predictive one; ask with predict: true' : '';
      throw new CascadeError('invalid_body', `no configured provider supplies "${f}"${hint}`, `fields[${i}]`);
    });
}

/**
 * Rows as they go into storage: invalid ones flagged, and each valid one
 * taken as far as the cache goes, so rows whose answers are all bought
 * already arrive finished (a rerun is done as soon as it is submitted).
 * `path` names the rows in the request, for the error on a repeated key.
 */
export async function newRows(
  deps: SettleDeps,
  ws: string,
  jobId: string,
  rows: { key: string; input: RowInput }[],
  fields: Field[],
  path: string,
  predict = false,
): Promise<NewRow<RowState>[]> {
  const { providers } = deps.waterfall;
  const seen = new Set<string>();
  const admitted = rows.map((r, i) => {
    if (seen.has(r.key)) throw new CascadeError('invalid_body', `duplicate row key "${r.key}"`, `${path}[${i}].key`);
    seen.add(r.key);
    return admit(providers, r.input, fields);
  });
  const valid = admitted.flatMap((norm) => (norm.ok ? [{ norm, predict }] : []));
  // Each phase of a batch of thousands is tens of milliseconds of synchronous work. Between phases the event loop
  // turns, so rows already running send their requests and take in their answers (and real-time lookups go on)
  // instead of waiting out the whole batch: a job's second request arrives just as its first rows start.
  await nextTurn();
  const settled = (await settleFromCache(deps, ws, jobId, fields, valid)).values();
  await nextTurn();
  return rows.map((r, i): NewRow<RowState> => {
    const norm = admitted[i]!;
    if (!norm.ok) return { key: r.key, input: r.input, status: 'invalid_input', errorCode: 'invalid_input', errorMessage: norm.message };
    // The row's checkpoint carries the ask for predictions too, so it survives restarts and retries with the row.
    const { state, verdict, purchases } = settled.next().value!;
    if (!verdict) return { key: r.key, input: r.input, status: 'pending', state, ...(purchases?.length ? { purchases } : {}) };
    return { key: r.key, input: r.input, status: verdict.status, state, errorCode: verdict.error?.code, errorMessage: verdict.error?.message };
  });
}

/**
 * The answers newRows took from the cache, per provider: cache hits of the
 * job, to count once its rows are stored. Summed first, since a rerun's
 * request settles thousands of rows.
 */
export function settledHits(rows: NewRow<RowState>[]): Map<string, number> {
  const perProvider = new Map<string, number>();
  for (const r of rows) for (const p of r.state?.answered ?? []) perProvider.set(p, (perProvider.get(p) ?? 0) + 1);
  return perProvider;
}
