import type { EstimateResult, Field, RowInput } from '../../shared/index.js';
import type { CacheKey, CachedAnswers } from '../storage/cache.js';
import type { Provider } from '../providers/types.js';
import { admit } from './admit.js';
import { expectedMatchRate } from './order.js';
import { emptyState } from './rowState.js';
import { candidates, keyFor, type WaterfallDeps } from './waterfall.js';

export interface EstimateDeps {
  waterfall: WaterfallDeps;
  /** Fresh cached answers for these keys, as the caller would find them now. */
  readCache(workspace: string, keys: CacheKey[]): Promise<CachedAnswers>;
}

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;

/**
 * What a job over these rows would cost, without buying anything: each row
 * walks the providers in the order the waterfall would use now. A cached
 * answer is free; an uncached provider is paid for in proportion to the
 * chance it is still needed (the earlier providers' learned match rates),
 * which is the expected cost; the worst case pays every provider it could ask.
 */
export async function estimateCost(deps: EstimateDeps, workspace: string, fields: Field[], inputs: RowInput[]): Promise<EstimateResult> {
  const rows: { ranked: { provider: Provider; key: string }[]; segment: string }[] = [];
  let invalid = 0;
  for (const raw of inputs) {
    const norm = admit(deps.waterfall.providers, raw, fields);
    if (!norm.ok) {
      invalid++;
      continue;
    }
    const work = {
      input: norm.input,
      kinds: norm.kinds,
      fields,
      state: emptyState(),
      ctx: { workspace, jobId: null, segment: norm.segment, lane: { realtime: false, workspace, job: '' } },
    };
    const ranked = candidates(deps.waterfall, work).map((provider) => ({ provider, key: keyFor(work, provider) }));
    rows.push({ ranked, segment: norm.segment });
  }
  const cache = await deps.readCache(
    workspace,
    rows.flatMap((r) => r.ranked.map((c) => ({ providerId: c.provider.id, inputKey: c.key }))),
  );

  let expected = 0;
  let worst = 0;
  let cached = 0;
  for (const row of rows) {
    // Chance each field is still missing when the walk reaches the next provider.
    const missing = new Map<Field, number>(fields.map((f) => [f, 1]));
    let buys = 0;
    for (const { provider, key } of row.ranked) {
      const relevant = provider.fields.filter((f) => (missing.get(f) ?? 0) > 0);
      if (relevant.length === 0) continue;
      const hit = cache.get({ providerId: provider.id, inputKey: key });
      if (hit) {
        for (const f of relevant) if (hit.values[f] !== undefined) missing.set(f, 0);
        continue;
      }
      const reach = Math.max(...relevant.map((f) => missing.get(f)!));
      const rate = expectedMatchRate(deps.waterfall.stats, workspace, row.segment, provider);
      expected += reach * (provider.costPerCall + rate * provider.costPerMatch);
      worst += provider.costPerCall + provider.costPerMatch;
      buys++;
      for (const f of relevant) missing.set(f, missing.get(f)! * (1 - rate));
    }
    if (buys === 0) cached++;
  }
  return { rows: inputs.length, invalid, cached, expectedCostUsd: round(expected), maxCostUsd: round(worst) };
}
