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
  /** Moves whenever peek() or the caller's free() may answer differently for some key, other than by time passing (both only grow). */
  memoryVersion(): number;
  /** Until when (exclusive) peek() answers for the key as it does now, while memoryVersion() stands. */
  trustedUntil(workspaceId: string, key: CacheKey): number;
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
 * promise per lookup. The answer worked out is kept with the input (Worked):
 * the next lookup of that input takes it while nothing it came from changed.
 */
export function enrichFromMemory(deps: MemoryEnrichDeps, workspace: string, raw: RowInput, fields: EnrichField[], predict: boolean): EnrichResult | undefined {
  const started = deps.clock.now();
  const admission = admitted(deps.providers, raw, fields);
  // Invalid input is enrichNow's to answer: it says why.
  if (!admission) return undefined;
  const order = deps.ranking.order(workspace, admission.norm.segment);
  const last = admission.worked;
  let worked: Worked | undefined;
  if (last && last.workspace === workspace && last.predict === predict && last.order === order && started < last.until) {
    // Nothing in memory changed, or what changed is not what this answer came from.
    const version = deps.memoryVersion();
    if (last.version === version || stillHeld(deps, workspace, last.consulted)) {
      last.version = version;
      worked = last;
    }
  }
  worked ??= workOut(deps, admission, workspace, fields, predict, order);
  if (!worked) return undefined;
  admission.worked = worked;
  deps.earn();
  for (const p of worked.hits) deps.countCacheHit(workspace, p.id);
  return { ...worked.answer, elapsedMs: deps.clock.now() - started };
}

/** A provider asked on the memory path, with its key and what memory held for it then. */
interface Consulted {
  provider: Provider;
  key: CacheKey;
  held: HotEntry;
}

/**
 * An answer worked out from memory, with everything it was worked out from.
 * The steps of enrichFromMemory are a function of the ranking's order for
 * the input's segment, and of what memory holds for each key consulted (in
 * the order consulted), so while both are the same the answer is too: the
 * next lookup of the input takes it without walking the waterfall again.
 * Identity says "the same" at no cost: the ranking keeps one order array
 * until its stats move (Ranking.order), the hot cache one object per answer
 * until a newer one or staleness replaces it (HotCache), and ABSENT is one
 * symbol (re-checked for a purchase this process made since, see stillHeld).
 * Cheaper still, while the memory version stands and `until` has not come,
 * nothing consulted can have changed, and nothing is looked up at all.
 */
interface Worked {
  workspace: string;
  predict: boolean;
  order: readonly Provider[];
  consulted: readonly Consulted[];
  /** memoryVersion() when the consulted keys were last seen to hold what they held. */
  version: number;
  /** The earliest time a consulted key's answer goes stale or its "none" expires (trustedUntil): the answer is not taken from then on. Never taken if it holds a recent purchase's answer. */
  until: number;
  /** The providers whose answers were taken: a cache hit each, per lookup. */
  hits: readonly Provider[];
  /** Frozen: shared by every lookup that takes it, each with its own elapsedMs. */
  answer: Readonly<EnrichResult>;
}

/** Whether memory holds what it held for every key consulted: the same answer, or still none, with no purchase of ours since. */
function stillHeld(deps: MemoryEnrichDeps, workspace: string, consulted: readonly Consulted[]): boolean {
  for (const c of consulted) {
    const held = deps.peek(workspace, c.key);
    if (held !== c.held) return false;
    if (held === ABSENT && deps.caller.free(undefined, c.provider, c.key.inputKey, workspace)) return false;
  }
  return true;
}

/** The waterfall walked in memory (see enrichFromMemory); undefined where memory cannot answer. */
function workOut(
  deps: MemoryEnrichDeps,
  admission: Admission,
  workspace: string,
  fields: EnrichField[],
  predict: boolean,
  order: readonly Provider[],
): Worked | undefined {
  const work = lookupWork(admission.norm, workspace, fields, predict);
  const consulted: Consulted[] = [];
  const hits: Provider[] = [];
  // An answer from the caller's recent purchases (memory held none) goes stale there without moving the version.
  let fromRecent = false;
  while (missingFields(work.state, fields).length > 0) {
    const list = candidates(deps, work);
    if (list.length === 0) break;
    const found: (StepResult | undefined)[] = [];
    for (const p of list) {
      const key = { providerId: p.id, inputKey: admission.keyFor(work, p) };
      const held = deps.peek(workspace, key);
      if (held === undefined) return undefined;
      consulted.push({ provider: p, key, held });
      const answer = deps.caller.free(held === ABSENT ? undefined : held, p, key.inputKey, workspace);
      found.push(answer);
      if (answer) hits.push(p);
      if (answer && held === ABSENT) fromRecent = true;
    }
    if (!applyFreeAnswers(deps, work, list, found)) return undefined;
  }
  const v = verdict(work.state, fields, deps.providers);
  const answer = deepFreeze(lookupAnswer(work, v, missingFields(work.state, fields), { costUsd: 0, elapsedMs: 0 }));
  // Read after the peeks, which may have dropped stale entries (moving the version) before reading on.
  const version = deps.memoryVersion();
  const until = fromRecent ? -Infinity : Math.min(...consulted.map((c) => deps.trustedUntil(workspace, c.key)));
  return { workspace, predict, order, consulted, version, until, hits, answer };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** How many admitted inputs are kept: a few hundred bytes each, about a kilobyte with the answer worked out for them. */
export const ADMISSIONS_MAX = 10_000;

/** An input admitted for some fields, and its cache key per provider, built once. */
class Admission {
  private readonly keys = new Map<string, string>();
  /** The last answer worked out for this input from memory: one per input, whichever workspace asked last. */
  worked: Worked | undefined = undefined;
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
