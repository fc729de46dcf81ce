import type { Field } from '../../shared/index.js';
import type { CacheKey, CachedAnswers } from '../storage/cache/readCache.js';
import { canRead, type Admitted } from './admit.js';
import { emptyState, verdict, type RowState, type Verdict } from './rowState.js';
import { applyFreeAnswers, candidates, keyFor, type RowWork, type WaterfallDeps } from './waterfall.js';

export interface SettleDeps {
  waterfall: WaterfallDeps;
  /** Fresh cached answers for these keys, as the waterfall would find them now. */
  readCache(workspace: string, keys: CacheKey[]): Promise<CachedAnswers>;
}

export interface RowToSettle {
  norm: Extract<Admitted, { ok: true }>;
  predict: boolean;
}

/** How far the cache took a row: to its end (`verdict`), or to a checkpoint the runner goes on from. */
export interface Settled {
  state: RowState;
  verdict?: Verdict;
}

/**
 * Runs each row's waterfall as far as answers already bought take it, with
 * one cache read for all of the rows: a rerun of unchanged rows finishes as
 * it is submitted, with no lease, no provider slot and no per-row write. The
 * walk is the runner's own (candidates in rank order, free answers first),
 * so a row settled here ends exactly as it would have in the runner.
 */
export async function settleFromCache(deps: SettleDeps, workspace: string, jobId: string, fields: Field[], rows: RowToSettle[]): Promise<Settled[]> {
  const { waterfall } = deps;
  const works: RowWork[] = rows.map(({ norm, predict }) => ({
    input: norm.input,
    kinds: norm.kinds,
    fields,
    state: { ...emptyState(), ...(predict ? { predict } : {}) },
    predict,
    ctx: { workspace, jobId, segment: norm.segment, lane: { realtime: false, workspace, job: jobId } },
  }));
  // Every provider a row could reach, whatever the answers turn out to be, with its cache key.
  const reachable = (w: RowWork) =>
    waterfall.providers.filter((p) => (!p.predictive || w.predict) && canRead(p, w.kinds) && p.fields.some((f) => fields.includes(f)));
  const keyed = works.map((w) => reachable(w).map((p): CacheKey => ({ providerId: p.id, inputKey: keyFor(w, p) })));
  const stored = await deps.readCache(workspace, keyed.flat());

  return works.map((work, i) => {
    const keys = keyed[i]!;
    // Most rows of a first run have no answer at all: they go to the runner without a walk.
    if (!keys.some((k) => stored.get(k))) return { state: work.state };
    for (;;) {
      const list = candidates(waterfall, work);
      if (list.length === 0) return { state: work.state, verdict: verdict(work.state, fields, waterfall.providers) };
      const found = list.map((p) => {
        const key = keys.find((k) => k.providerId === p.id)!;
        return waterfall.caller.free(stored.get(key), p, key.inputKey, workspace);
      });
      if (!applyFreeAnswers(waterfall, work, list, found)) return { state: work.state };
    }
  });
}
