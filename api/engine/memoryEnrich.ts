import type { EnrichField, EnrichResult, RowInput } from '../../shared/index.js';
import type { Provider } from '../providers/types.js';
import type { CacheKey } from '../storage/cache.js';
import { admit } from './admit.js';
import type { StepResult } from './caller.js';
import { ABSENT, type HotEntry } from './hotCache.js';
import { lookupAnswer, lookupWork } from './realtime.js';
import { applyFreeAnswers, candidates, keyFor, missingFields, verdict, type WaterfallDeps } from './waterfall.js';

export interface MemoryEnrichDeps extends WaterfallDeps {
  /** What memory knows of the key (the hot cache): its fresh answer, ABSENT (none stored), or undefined (not known). */
  peek(workspaceId: string, key: CacheKey): HotEntry | undefined;
  countCacheHit(workspaceId: string, providerId: string): void;
  /** Called once per real-time lookup answered here, as enrichNow does once per lookup (the hedge budget earns by lookups). */
  earn(): void;
}

/**
 * A real-time lookup answered from memory alone, synchronously, or undefined.
 *
 * It walks the same waterfall steps enrichNow does while the cache answers
 * (candidates; their cached answers, or the knowledge that there is none,
 * applied in rank order; until nothing is missing or no candidate is left),
 * with the hot cache as the cache, and builds the same answer. It gives up,
 * having changed nothing outside its own row (no hit counted, nothing
 * earned), at a candidate memory knows nothing about (only the database can
 * say), or where no candidate has a cached answer (enrichNow would buy): the
 * caller then runs enrichNow. So every answer it gives is one enrichNow would
 * have given from the same cache, at no cost, with no timer, abort signal or
 * promise per lookup.
 */
export function enrichFromMemory(deps: MemoryEnrichDeps, workspace: string, raw: RowInput, fields: EnrichField[], predict: boolean): EnrichResult | undefined {
  const started = deps.clock.now();
  const norm = admit(deps.providers, raw, fields);
  // Invalid input is enrichNow's to answer: it says why.
  if (!norm.ok) return undefined;
  const work = lookupWork(norm, workspace, fields, predict);
  const hits: Provider[] = [];
  while (missingFields(work.state, fields).length > 0) {
    const list = candidates(deps, work);
    if (list.length === 0) break;
    const found: (StepResult | undefined)[] = [];
    for (const p of list) {
      const inputKey = keyFor(work, p);
      const held = deps.peek(workspace, { providerId: p.id, inputKey });
      if (held === undefined) return undefined;
      const answer = deps.caller.free(held === ABSENT ? undefined : held, p, inputKey, workspace);
      found.push(answer);
      if (answer) hits.push(p);
    }
    if (!applyFreeAnswers(deps, work, list, found)) return undefined;
  }
  deps.earn();
  for (const p of hits) deps.countCacheHit(workspace, p.id);
  const v = verdict(work.state, fields, deps.providers);
  return lookupAnswer(work, v, missingFields(work.state, fields), { costUsd: 0, elapsedMs: deps.clock.now() - started });
}
