import type { EnrichField, EnrichResult, RowInput } from '../../shared/index.js';
import type { Provider } from '../providers/types.js';
import type { CacheKey } from '../storage/cache.js';
import { admit, type Admitted } from './admit.js';
import type { StepResult } from './caller.js';
import { ABSENT, type HotEntry } from './hotCache.js';
import { lookupAnswer, lookupWork } from './realtime.js';
import { applyFreeAnswers, candidates, keyFor, missingFields, verdict, type RowWork, type WaterfallDeps } from './waterfall.js';

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
  const admission = admitted(deps.providers, raw, fields);
  // Invalid input is enrichNow's to answer: it says why.
  if (!admission) return undefined;
  const work = lookupWork(admission.norm, workspace, fields, predict);
  const hits: Provider[] = [];
  while (missingFields(work.state, fields).length > 0) {
    const list = candidates(deps, work);
    if (list.length === 0) break;
    const found: (StepResult | undefined)[] = [];
    for (const p of list) {
      const inputKey = admission.keyFor(work, p);
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

/** How many admitted inputs are kept: a few hundred bytes each. */
export const ADMISSIONS_MAX = 10_000;

/** An input admitted for some fields, and its cache key per provider, built once. */
class Admission {
  private readonly keys = new Map<string, string>();
  constructor(readonly norm: Extract<Admitted, { ok: true }>) {}

  keyFor(work: RowWork, p: Provider): string {
    let key = this.keys.get(p.id);
    if (key === undefined) this.keys.set(p.id, (key = keyFor(work, p)));
    return key;
  }
}

/**
 * The inputs of recent lookups, admitted (admit.ts): normalising a row (URL
 * parsing, IDN conversion, the public suffix list) and building its cache
 * keys cost more than the rest of a lookup answered from memory. Both are
 * pure given the providers, which are fixed for an engine (the map is per
 * providers list), so the same cells and fields admit the same way: the
 * result is shared, read-only (nothing on the memory path writes to a row's
 * input). Only admitted inputs are kept; an invalid one is enrichNow's to
 * refuse, every time. Bounded: past ADMISSIONS_MAX the oldest goes.
 */
const admissions = new WeakMap<readonly Provider[], Map<string, Admission>>();

/** What admit() reads of a lookup, as one string: each cell's name and value length-prefixed (so no two differ only in where one ends), after the fields asked (their names hold no comma). A cell left undefined is no cell, as for normalizeInput. */
export function admissionId(raw: RowInput, fields: readonly string[]): string {
  let id = fields.join(',');
  for (const cell in raw) {
    const value = raw[cell as keyof RowInput];
    if (value !== undefined) id += `\n${cell.length}:${cell}${value.length}:${value}`;
  }
  return id;
}

function admitted(providers: readonly Provider[], raw: RowInput, fields: readonly EnrichField[]): Admission | undefined {
  let known = admissions.get(providers);
  if (!known) admissions.set(providers, (known = new Map()));
  const id = admissionId(raw, fields);
  const held = known.get(id);
  if (held) return held;
  const norm = admit(providers, raw, fields);
  if (!norm.ok) return undefined;
  const admission = new Admission(norm);
  known.set(id, admission);
  if (known.size > ADMISSIONS_MAX) known.delete(known.keys().next().value!);
  return admission;
}
