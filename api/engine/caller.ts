import type { RowFlagCode, Field, FieldValue } from '../../shared/index.js';
import type { EngineConfig } from '../config/schema.js';
import type { CallResult, FieldValues, Provider } from '../providers/types.js';
import type { CacheKey, CachedAnswer } from '../storage/cache.js';
import type { CallRecord } from '../storage/calls.js';
import type { HoldState, PurchaseHold } from '../storage/holds.js';
import { isTransientFailure } from '../storage/transientFailure.js';
import type { Budgets } from './budget.js';
import { sleep, type Clock } from '../clock.js';
import type { Lane } from '../flow/fairQueue.js';
import type { ProviderGate, Signal } from '../flow/gate.js';
import type { Reachability } from '../flow/reachability.js';
import { noEngineMetrics, type EngineMetrics } from '../observability/port.js';
import type { NormalizedInput } from './normalize.js';
import type { Stats } from './stats.js';

export type StepResult =
  | { kind: 'answer'; outcome: 'match' | 'no_match'; values: FieldValues; fetchedAt: number; cached: boolean; costUsd: number; confidence?: Confidence }
  | { kind: 'failed'; code: RowFlagCode; message: string; transient: boolean }
  | { kind: 'budget_exhausted' }
  | { kind: 'cancelled' };

export interface StepContext {
  workspace: string;
  jobId: string | null;
  segment: string;
  lane: Lane;
  /** Aborts waiting for a slot; a request already sent is let finish, since it is paid for either way. */
  signal?: AbortSignal;
  /**
   * The purchases the row's claim holds (heldKey; ClaimedRow.held): no one
   * else stores an answer for them while the row runs, so the database has
   * none this process does not know of, and lookup() does not read it for
   * them. A lookup elsewhere that waited out the provider's timeout buys
   * around the hold; this row then buys the key too, as it would have had it
   * asked the cache just before.
   */
  held?: ReadonlySet<string>;
}

/** A purchase's name in StepContext.held. */
export const heldKey = (providerId: string, inputKey: string) => `${providerId}\0${inputKey}`;

export interface CallerDeps {
  gates: Map<string, ProviderGate>;
  cache: {
    get(workspaceId: string, key: CacheKey): Promise<CachedAnswer | undefined>;
    /** The answer memory holds for the key, if any, with no database read (CacheLoader.known). */
    known(workspaceId: string, key: CacheKey): CachedAnswer | undefined;
  };
  /** Durably stores an answer with its journal entry; resolves once committed. */
  /** `soon`: someone is waiting on this call (a real-time lane): its commit does not wait out the bulk gap (storage/journal.ts). */
  storeAnswer(call: CallRecord & { inputKey: string; values: Record<string, unknown> }, soon: boolean): Promise<void>;
  recordCall(call: CallRecord, soon?: boolean): Promise<void>;
  /** Whether commits are being refused for now (a lock, a full disk): an answer bought then could not be stored. */
  storageFailing(): boolean;
  countCacheHit(workspaceId: string, providerId: string, jobId: string | null): void;
  /** Answers fetched before this are stale: not taken from `recent` either (none is, given no bound). */
  freshSince?(): number;
  stats: Stats;
  budgets: Budgets;
  isCancelled(jobId: string | null): boolean;
  engine: EngineConfig;
  clock: Clock;
  /** Where each request to a provider and its spend are counted; nothing by default. */
  metrics?: EngineMetrics;
  /** Told whether each request got an HTTP answer (flow/reachability.ts); nothing by default. */
  reachability?: Pick<Reachability, 'record'>;
  /**
   * Holds across a cluster's instances on purchases outside any job
   * (real-time lookups), so that an answer another instance is buying is
   * waited for, not bought again (storage/holds.ts; a row's purchases are
   * held through its claim). Used only while `shared()` says other members
   * are alive: alone, a lookup takes no extra round trip. Absent: never.
   */
  holds?: {
    shared(): boolean;
    hold(key: PurchaseHold, ttlMs: number): Promise<HoldState>;
    release(key: PurchaseHold): Promise<void>;
    /**
     * A hold statement failed. Refused for a passing reason, it is tried again
     * as if the key were held (up to the provider's timeout, as a held key);
     * otherwise the lookup buys unheld (a duplicate costs money; a lookup
     * stalled past its deadline costs more).
     */
    onError(err: unknown): void;
  };
}

type Confidence = Partial<Record<Field, number>>;
type FreeAnswer = StepResult & { kind: 'answer' };
/** Where a predicted answer keeps its confidences in the cache, beside the values (no field is named so). */
const CONFIDENCE_KEY = '$confidence';

/**
 * Every answer, bought, cached or shared, is built here with the same keys in
 * the same order, so the waterfall code that reads them sees one shape
 * whichever path they came by; before, three object spreads made three.
 */
const answerOf = (
  outcome: 'match' | 'no_match',
  values: FieldValues,
  fetchedAt: number,
  cached: boolean,
  costUsd: number,
  confidence: Confidence | undefined,
): FreeAnswer => ({
  kind: 'answer',
  outcome,
  values,
  fetchedAt,
  cached,
  costUsd,
  confidence,
});

/** A stored answer's values, and the confidences a predicted answer keeps beside them. */
function fromStore(stored: CachedAnswer): FreeAnswer {
  // Most answers carry no confidences: no copy for them (a rerun splits thousands per request).
  if (!(CONFIDENCE_KEY in stored.values)) return answerOf(stored.outcome, stored.values as Record<string, FieldValue>, stored.fetchedAt, true, 0, undefined);
  const { [CONFIDENCE_KEY]: confidence, ...values } = stored.values;
  return answerOf(stored.outcome, values as Record<string, FieldValue>, stored.fetchedAt, true, 0, (confidence as Confidence | undefined) || undefined);
}

/** Someone else's purchase, free to this row. */
const asCached = (a: FreeAnswer) => answerOf(a.outcome, a.values, a.fetchedAt, true, 0, a.confidence);

/** What one try at a provider came to: a step to return, another try (commits were refused), or the provider's answer. */
type Attempt = { kind: 'stop'; step: StepResult } | { kind: 'again' } | { kind: 'called'; result: CallResult; started: number; at: number };

/** How long a provider asked us to wait after this answer (a 429's Retry-After, a used-up quota window), capped. */
function pauseAsked(result: CallResult, engine: EngineConfig): number | undefined {
  if (result.kind === 'rate_limited') return Math.min(result.retryAfterMs ?? engine.retryDelaysMs[0] ?? 1000, engine.maxRetryAfterMs);
  if ((result.kind === 'match' || result.kind === 'no_match') && result.pauseMs) return Math.min(result.pauseMs, engine.maxRetryAfterMs);
  return undefined;
}

const RECENT_MAX = 20_000;
/** How often a lookup looks again at an answer another instance holds: stored by now, or let go. */
const HOLD_POLL_MS = 75;
/** A lookup's hold outlives its provider's timeout by this much, and is pushed on at half that while the lookup lasts. */
const HOLD_MARGIN_MS = 5000;
/** How often a purchase held back by refused commits looks again. */
const STORAGE_WAIT_MS = 250;
function signalOf(result: CallResult): Signal {
  switch (result.kind) {
    case 'match':
    case 'no_match':
    case 'pending':
      return 'ok';
    case 'rate_limited':
      return result.retryAfterMs === undefined ? 'congested' : 'paced';
    case 'transient':
      return result.code === 'provider_timeout' ? 'slow' : 'neutral';
    case 'permanent':
      return 'neutral';
  }
}

/**
 * One checkpointed step of a waterfall: the answer of one provider for one
 * input. The cache is asked first; concurrent asks for the same answer share
 * one request; a bought answer is committed before anyone uses it.
 */
export class Caller {
  private readonly inflight = new Map<string, Promise<StepResult>>();
  /**
   * Answers bought moments ago. A cache read that started before an answer
   * was committed misses it; this catches that window, so a concurrent row
   * never buys the same answer a second time.
   */
  private readonly recent = new Map<string, StepResult & { kind: 'answer' }>();
  private recentAdded = 0;
  /** Requests on the wire, by job: a cancel waits for these, so its answer is the job's final spend. */
  private readonly onTheWire = new Map<string, Set<Promise<unknown>>>();

  /** Resolves when every request of the job that has started is answered (each is bounded by its provider's timeout). */
  async settled(jobId: string): Promise<void> {
    await Promise.allSettled([...(this.onTheWire.get(jobId) ?? [])]);
  }

  private track<T>(jobId: string | null, call: Promise<T>): Promise<T> {
    if (!jobId) return call;
    let set = this.onTheWire.get(jobId);
    if (!set) this.onTheWire.set(jobId, (set = new Set()));
    const entry = call.finally(() => {
      set.delete(entry);
      if (set.size === 0) this.onTheWire.delete(jobId);
    });
    set.add(entry);
    return call;
  }

  /** Where requests and spend are counted: the deps' metrics, or nothing. Resolved once, not per call. */
  private readonly metrics: EngineMetrics;

  constructor(private readonly deps: CallerDeps) {
    this.metrics = deps.metrics ?? noEngineMetrics;
  }

  /** An answer already bought (stored, or bought moments ago for another row): free. Undefined when there is none. */
  async lookup(provider: Provider, inputKey: string, ctx: StepContext): Promise<FreeAnswer | undefined> {
    const key = { providerId: provider.id, inputKey };
    const stored = ctx.held?.has(heldKey(provider.id, inputKey)) ? this.deps.cache.known(ctx.workspace, key) : await this.deps.cache.get(ctx.workspace, key);
    const answer = this.free(stored, provider, inputKey, ctx.workspace);
    if (answer) this.deps.countCacheHit(ctx.workspace, provider.id, ctx.jobId);
    return answer;
  }

  /** Moves with every answer added to the recent ones: free() answers as before for a key it found none for, while this stands. */
  get recentVersion(): number {
    return this.recentAdded;
  }

  /** The free answer, given what the cache holds for the key (`stored`), without counting a cache hit. */
  free(stored: CachedAnswer | undefined, provider: Provider, inputKey: string, workspace: string): FreeAnswer | undefined {
    if (stored) return fromStore(stored);
    const recent = this.freshRecent(`${workspace}\0${provider.id}\0${inputKey}`);
    return recent ? asCached(recent) : undefined;
  }

  /** The provider's answer, bought only if it is not already to be had. `looked`: the caller just did lookup(). */
  async step(provider: Provider, input: NormalizedInput, inputKey: string, ctx: StepContext, looked = false): Promise<StepResult> {
    if (!looked) {
      const free = await this.lookup(provider, inputKey, ctx);
      if (free) return free;
    }
    const key = `${ctx.workspace}\0${provider.id}\0${inputKey}`;
    for (;;) {
      const recent = this.freshRecent(key);
      if (recent) return asCached(recent);
      const shared = this.inflight.get(key);
      if (!shared) break;
      const res = await shared;
      // Another row's purchase is this row's cache hit; its job's budget or cancel says nothing about ours.
      if (res.kind === 'failed') return res;
      if (res.kind !== 'answer' && this.inflight.get(key) === shared) break;
    }
    const buying = ctx.jobId === null && this.deps.holds?.shared() ? this.buyHeld(provider, input, inputKey, ctx) : this.buy(provider, input, inputKey, ctx);
    this.inflight.set(key, buying);
    try {
      const res = await buying;
      if (res.kind === 'answer') this.remember(key, res);
      return res;
    } finally {
      this.inflight.delete(key);
    }
  }

  /** An answer bought moments ago, unless it is past the cache's freshness: a long-lived process must buy it again then, as the cache would. */
  private freshRecent(key: string): (StepResult & { kind: 'answer' }) | undefined {
    const recent = this.recent.get(key);
    if (!recent || !this.deps.freshSince || recent.fetchedAt >= this.deps.freshSince()) return recent;
    this.recent.delete(key);
    return undefined;
  }

  private remember(key: string, answer: StepResult & { kind: 'answer' }): void {
    this.recentAdded++;
    this.recent.set(key, answer);
    if (this.recent.size > RECENT_MAX) this.recent.delete(this.recent.keys().next().value!);
  }

  /**
   * Nothing is bought while commits are refused: the answer could not be
   * stored, and a row that cannot store it would buy it again. Purchases wait,
   * without a slot, until the journal's retries go through.
   */
  private async untilStorable(signal?: AbortSignal): Promise<void> {
    while (this.deps.storageFailing()) await sleep(STORAGE_WAIT_MS, signal);
  }

  /**
   * One try at the provider: a slot from its gate, the checks that must hold
   * while the slot is ours (not cancelled, commits going through, budget
   * reserved), and the call. The slot is given back here and only here,
   * whatever happens, with how the call went.
   */
  private async attempt(provider: Provider, input: NormalizedInput, ctx: StepContext, worst: number, front: boolean): Promise<Attempt> {
    const { gates, budgets, clock } = this.deps;
    const gate = gates.get(provider.id)!;
    const slot = await gate.acquire(ctx.lane, ctx.signal, front);
    let signal: Signal = 'neutral';
    let latencyMs = 0;
    try {
      if (this.deps.isCancelled(ctx.jobId)) return { kind: 'stop', step: { kind: 'cancelled' } };
      // Commits refused, or a pause that began after this slot was given (another call's 429): wait in line again.
      if (this.deps.storageFailing() || gate.paused) return { kind: 'again' };
      if (!budgets.reserve(ctx.jobId, worst)) return { kind: 'stop', step: { kind: 'budget_exhausted' } };
      const started = clock.now();
      // Counted where each request goes on the wire and comes back: one count per request the provider receives.
      const ended = this.metrics.callStarted(provider.id);
      // Real-time routing's view of the provider (providerHealth.ts): this call is out from now until it ends.
      const out = this.deps.stats.health.begin(provider.id, started);
      try {
        const result = await this.track(ctx.jobId, provider.call(input));
        const at = clock.now();
        // No status: the request never had an answer (refused, reset, timed out). A permanent failure without one is
        // ours (an address we refuse to fetch), not the way out, and says nothing either way.
        if (result.status !== undefined) this.deps.reachability?.record(true);
        else if (result.kind === 'transient') this.deps.reachability?.record(false);
        signal = signalOf(result);
        latencyMs = at - started;
        ended(result.kind, latencyMs);
        // A pause the provider asked for takes hold while this slot is still out: released first, the slot would
        // go straight to the next waiter, and a request or two would reach a provider that asked for quiet.
        const pauseMs = pauseAsked(result, this.deps.engine);
        if (pauseMs) gate.pause(pauseMs);
        return { kind: 'called', result, started, at };
      } catch (err) {
        latencyMs = clock.now() - started;
        ended('error', latencyMs);
        budgets.settle(ctx.jobId, worst, 0);
        return {
          kind: 'stop',
          step: { kind: 'failed', code: 'provider_unavailable', transient: true, message: `${provider.label}: ${(err as Error).message}` },
        };
      } finally {
        this.deps.stats.health.end(out, clock.now());
      }
    } finally {
      slot.release(signal, latencyMs);
    }
  }

  /**
   * buy(), for a lookup outside any job, once this instance holds the key in
   * the cluster. While another instance holds it (a row's purchase, or a
   * lookup's), this one waits without a provider slot, looking every
   * HOLD_POLL_MS, and gets the stored answer as a cache hit, or takes the key
   * once it is let go, or buys it anyway once the provider's timeout has
   * passed; the lookup's deadline (`ctx.signal`) ends the wait. The
   * hold is let go on every way out, after the answer is stored (which ends
   * it anyway).
   */
  private async buyHeld(provider: Provider, input: NormalizedInput, inputKey: string, ctx: StepContext): Promise<StepResult> {
    const holds = this.deps.holds!;
    const key: PurchaseHold = { workspaceId: ctx.workspace, providerId: provider.id, inputKey };
    const ttlMs = provider.timeoutMs + HOLD_MARGIN_MS;
    // A purchase takes at most the provider's timeout: a key held longer is stuck (a row retrying a failing provider, a
    // holder stalled), and past that the lookup's deadline is worth more than the duplicate it risks.
    const waitUntil = this.deps.clock.now() + provider.timeoutMs;
    for (;;) {
      let state: HoldState;
      try {
        state = await holds.hold(key, ttlMs);
      } catch (err) {
        holds.onError(err);
        if (!isTransientFailure(err)) return this.buy(provider, input, inputKey, ctx);
        // A statement refused for a passing reason (another's write lock, the server out of reach) says nothing of
        // who holds the key: looked at again, as a held one. Bought around, it was bought twice whenever another held it.
        state = { kind: 'held' };
      }
      if (state.kind === 'mine') break;
      if (state.kind === 'stored') {
        this.deps.countCacheHit(ctx.workspace, provider.id, ctx.jobId);
        return fromStore(state.answer);
      }
      if (this.deps.clock.now() >= waitUntil) return this.buy(provider, input, inputKey, ctx);
      await sleep(HOLD_POLL_MS, ctx.signal);
    }
    // A long wait for a slot or a retry after a 429 keeps the hold; a holder that died loses it with its membership.
    const renewal = setInterval(() => void holds.hold(key, ttlMs).catch(holds.onError), ttlMs / 2);
    try {
      return await this.buy(provider, input, inputKey, ctx);
    } finally {
      clearInterval(renewal);
      // Awaited: this instance's next hold on the key must not be overtaken by this release.
      await holds.release(key).catch(holds.onError);
    }
  }

  private async buy(provider: Provider, input: NormalizedInput, inputKey: string, ctx: StepContext): Promise<StepResult> {
    const { budgets, engine } = this.deps;
    const worst = provider.costPerCall + provider.costPerMatch;
    let waits = 0;
    let polls = 0;
    let pollStarted: number | undefined;
    for (let tries = 0; ; tries++) {
      // Checked first: the hot path takes no extra await while commits go through.
      if (this.deps.storageFailing()) await this.untilStorable(ctx.signal);
      const tried = await this.attempt(provider, input, ctx, worst, tries > 0);
      if (tried.kind === 'stop') return tried.step;
      if (tried.kind === 'again') continue;
      const { result, started, at } = tried;
      // An answer that was polled for took, for the row, from the first ask.
      const latencyMs = at - (pollStarted ?? started);
      const answered = result.kind === 'match' || result.kind === 'no_match';
      const costUsd = answered ? provider.costPerCall + (result.kind === 'match' ? provider.costPerMatch : 0) : 0;
      budgets.settle(ctx.jobId, worst, costUsd);
      if (costUsd > 0) this.metrics.spent(provider.id, costUsd);
      if (result.kind === 'pending') {
        // Not an answer and not billed. The slot was released above: other rows use it while this one waits.
        pollStarted ??= started;
        if (polls++ >= engine.maxPolls) {
          return { kind: 'failed', code: 'provider_timeout', transient: true, message: `${provider.label} was still working after ${engine.maxPolls} polls` };
        }
        await sleep(Math.min(result.retryAfterMs, engine.maxRetryAfterMs), ctx.signal);
        continue;
      }
      const record: CallRecord = {
        workspaceId: ctx.workspace,
        providerId: provider.id,
        jobId: ctx.jobId,
        segment: ctx.segment,
        outcome: result.kind,
        httpStatus: 'status' in result ? (result.status ?? null) : null,
        latencyMs,
        costUsd,
        at,
      };
      if (result.kind === 'match' || result.kind === 'no_match') {
        const values = result.kind === 'match' ? result.values : {};
        const confidence = result.kind === 'match' ? result.confidence : undefined;
        await this.deps.storeAnswer({ ...record, inputKey, values: confidence ? { ...values, [CONFIDENCE_KEY]: confidence } : values }, ctx.lane.realtime);
        this.deps.stats.record(ctx.workspace, ctx.segment, provider.id, result.kind === 'match', latencyMs);
        return answerOf(result.kind, values, at, false, costUsd, confidence);
      }
      await this.deps.recordCall(record, ctx.lane.realtime);
      if (result.kind === 'rate_limited') {
        if (waits++ < engine.maxRateLimitWaits) continue;
        return {
          kind: 'failed',
          code: 'provider_rate_limited',
          transient: true,
          message: `${provider.label} kept answering "too many requests" (HTTP ${result.status})`,
        };
      }
      return { kind: 'failed', code: result.code, message: result.message, transient: result.kind === 'transient' };
    }
  }
}
