import { systemClock } from '../../api/clock.js';
import { EngineConfigSchema } from '../../api/config/schema.js';
import { Budgets } from '../../api/engine/budget.js';
import { Caller, type CallerDeps } from '../../api/engine/caller.js';
import { Stats } from '../../api/engine/stats.js';
import { ProviderGate } from '../../api/flow/gate.js';

/**
 * A caller with the engine's defaults, a gate of 4 per provider named, and
 * no storage behind it (its cache has nothing, what it stores goes nowhere),
 * but for `extra`.
 */
export function testCaller(providerIds: readonly string[], extra: Partial<CallerDeps> = {}): Caller {
  const clock = extra.clock ?? systemClock;
  return new Caller({
    gates: new Map(providerIds.map((id) => [id, new ProviderGate({ concurrency: 4, initialConcurrency: 4, maxConcurrency: 4, clock })])),
    cache: { get: async () => undefined, known: () => undefined },
    storeAnswer: async () => {},
    recordCall: async () => {},
    storageFailing: () => false,
    countCacheHit: () => {},
    stats: new Stats(),
    budgets: new Budgets(),
    isCancelled: () => false,
    engine: EngineConfigSchema.parse({}),
    clock,
    ...extra,
  });
}
