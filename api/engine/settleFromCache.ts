import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Field } from '../../shared/index.js';
import type { CacheKey, CachedAnswers } from '../storage/cache.js';
import type { PurchaseKey } from '../storage/schema/index.js';
import { canRead, type Admitted } from './admit.js';
import { emptyState, type RowState } from './rowState.js';
import { inputKey } from './normalize.js';
import { applyFreeAnswers, candidates, verdict, withCacheVersion, type RowWork, type Verdict, type WaterfallDeps } from './waterfall.js';

export interface SettleDeps {
  waterfall: WaterfallDeps;
  /** Fresh cached answers for these keys, as the waterfall would find them now. */
  readCache(workspace: string, keys: CacheKey[]): Promise<CachedAnswers>;
}

export interface RowToSettle {
  norm: Extract<Admitted, { ok: true }>;
  predict: boolean;
}

/**
 * How far the cache took a row: to its end (`verdict`), or to a checkpoint
 * the runner goes on from, with the answers it may have to buy there (the
 * cache lacked them): a claim keeps two instances from buying one at once.
 */
export interface Settled {
  state: RowState;
  verdict?: Verdict;
  purchases?: PurchaseKey[];
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
  // Every provider a row could reach for these fields, whatever the answers turn out to be.
  const asked = waterfall.providers.filter((p) => p.fields.some((f) => fields.includes(f)));
  const slot = new Map(asked.map((p, i) => [p, i]));
  // Providers that look up by the same inputs share a row's key: worked out once a row, not once a provider.
  const sameKeyAs = asked.map((p) => asked.findIndex((q) => q.inputs.join() === p.inputs.join()));
  const works: RowWork[] = rows.map(({ norm, predict }) => ({
    input: norm.input,
    kinds: norm.kinds,
    fields,
    state: { ...emptyState(), ...(predict ? { predict } : {}) },
    predict,
    ctx: { workspace, jobId, segment: norm.segment, lane: { realtime: false, workspace, job: jobId } },
  }));
  // keyed[row][slot of p]: p's cache key for the row, or undefined where the row cannot reach p.
  const keyed = works.map((w) => {
    const inputKeys: (string | undefined)[] = [];
    return asked.map((p, i): CacheKey | undefined => {
      if ((p.predictive && !w.predict) || !canRead(p, w)) return undefined;
      const base = (inputKeys[sameKeyAs[i]!] ??= inputKey(p.inputs, w.input));
      return { providerId: p.id, inputKey: p.cacheVersion ? withCacheVersion(base, p) : base };
    });
  });
  // The read and the walk after it are the longest phases of an intake; see newRows.
  await nextTurn();
  const stored = await deps.readCache(
    workspace,
    keyed.flatMap((keys) => keys.filter((k) => k !== undefined)),
  );

  return works.map((work, i) => {
    const keys = keyed[i]!;
    const purchases = keys.flatMap((k): PurchaseKey[] => (k && !stored.get(k) ? [[k.providerId, k.inputKey]] : []));
    // Most rows of a first run have no answer at all: they go to the runner without a walk.
    if (purchases.length === keys.filter((k) => k).length) return { state: work.state, purchases };
    for (;;) {
      const list = candidates(waterfall, work);
      if (list.length === 0) return { state: work.state, verdict: verdict(work.state, fields, waterfall.providers) };
      const found = list.map((p) => {
        const key = keys[slot.get(p)!]!;
        return waterfall.caller.free(stored.get(key), p, key.inputKey, workspace);
      });
      if (!applyFreeAnswers(waterfall, work, list, found)) return { state: work.state, purchases };
    }
  });
}
