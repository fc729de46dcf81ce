import type { EnrichResult, EnrichField, Field, RowError, RowInput } from '../../shared/index.js';
import type { Provider } from '../providers/types.js';
import type { StepResult } from './caller.js';
import { sleep } from '../clock.js';
import type { HedgeBudget } from './hedgeBudget.js';
import { admit, type Admitted } from './admit.js';
import { emptyState } from './rowState.js';
import { applyFreeAnswers, candidates, decide, keyFor, missingFields, stepFor, verdict, type RowWork, type Verdict, type WaterfallDeps } from './waterfall.js';
import { toRowResult } from './results.js';
import { realtimeOrder } from './order.js';

type Settled = { provider: Provider; res: StepResult };
type Flight = { provider: Provider; startedAt: number; done: Promise<Settled>; probe: boolean };

/** While a call is past its p95 and its provider not (yet) judged degraded, how often the loop looks again. */
const RECHECK_MS = 50;

/** `work`'s outcome if it settles within `ms`, else undefined (it goes on in the background, unobserved). */
async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      work,
      sleep(Math.max(0, ms), timer.signal).then(
        () => undefined,
        () => undefined,
      ),
    ]);
  } finally {
    timer.abort();
  }
}

/**
 * A lookup's answer from its row as it stands: what was found, with its
 * sources, what is missing, and why: `error` when given, else the row's own flag.
 */
export function lookupAnswer(work: RowWork, v: Verdict, missing: EnrichField[], extra: { error?: RowError; costUsd: number; elapsedMs: number }): EnrichResult {
  const result = toRowResult('', v.status, work.state, work.fields, v.error);
  const error = extra.error ?? result.error;
  return {
    status: result.status,
    values: result.values,
    sources: result.sources,
    provenance: result.provenance,
    missing,
    ...(error ? { error } : {}),
    costUsd: extra.costUsd,
    elapsedMs: extra.elapsedMs,
  };
}

/** A real-time lookup's row: empty, tied to no job, and in the real-time lane, ahead of bulk work in every queue. */
export const lookupWork = (norm: Extract<Admitted, { ok: true }>, workspace: string, fields: Field[], predict: boolean, signal?: AbortSignal): RowWork => ({
  input: norm.input,
  kinds: norm.kinds,
  fields,
  state: emptyState(),
  predict,
  ctx: { workspace, jobId: null, segment: norm.segment, lane: { realtime: true, workspace, job: '' }, ...(signal ? { signal } : {}) },
});

/**
 * One row, now: the same cache and waterfall as bulk jobs, ahead of them in
 * every provider's queue, answered by the deadline with whatever was found.
 * Providers are asked in real-time order (order.ts realtimeOrder): around a
 * degraded provider, and never one slower right now than the time left. A
 * healthy provider's call running past its own p95 may be hedged with the
 * next one (rationed); a degraded provider's is not waited on at all.
 * Requests still out at the deadline finish in the background and are cached.
 * The deadline holds whatever the database does: every wait here, the cache
 * reads included, is raced against it (a cache read waits on a database
 * server out of reach, a purchase on commits being refused).
 */
export async function enrichNow(
  deps: WaterfallDeps & { hedge: HedgeBudget },
  workspace: string,
  raw: RowInput,
  fields: EnrichField[],
  deadlineMs: number,
  predict = false,
): Promise<EnrichResult> {
  const started = deps.clock.now();
  const deadline = started + deadlineMs;
  const norm = admit(deps.providers, raw, fields);
  if (!norm.ok) {
    return {
      status: 'invalid_input',
      values: {},
      sources: {},
      provenance: {},
      missing: fields,
      error: { code: 'invalid_input', message: norm.message },
      costUsd: 0,
      elapsedMs: 0,
    };
  }
  const queueAbort = new AbortController();
  const work = lookupWork(norm, workspace, fields, predict, queueAbort.signal);
  deps.hedge.earn();
  const health = deps.stats.health;
  const inflight = new Map<string, Flight>();
  /** Every provider this lookup has started: none is started twice, whatever its step returned. */
  const asked = new Set<string>();
  // `looked`: the cache was just read for this provider; a hedge was not, and must look first.
  const start = (p: Provider, looked: boolean, probe = false) => {
    asked.add(p.id);
    inflight.set(p.id, {
      provider: p,
      startedAt: deps.clock.now(),
      probe,
      done: stepFor(deps, work, p, looked).then(
        (res) => ({ provider: p, res }),
        (err) => ({ provider: p, res: { kind: 'failed', code: 'deadline_exceeded', transient: true, message: String(err) } as StepResult }),
      ),
    });
  };
  /** The provider to ask next, in real-time order (order.ts realtimeOrder), among those not asked yet. */
  const next = (now: number) => realtimeOrder(candidates(deps, work, asked), health, deadline - now, now)[0];
  /**
   * A call written off: its provider is degraded and the call itself is out
   * past the provider's p95, so it is not waited on; its answer still comes
   * and is cached. A fresh call to a degraded provider (a probe) gets its p95.
   */
  const writtenOff = (f: Flight, now: number) => {
    const p95 = deps.stats.p95(f.provider.id);
    return p95 !== undefined && now - f.startedAt >= p95 && health.degraded(f.provider.id, now);
  };
  let costUsd = 0;
  let hedged = false;
  let storageLate = false;
  while (missingFields(work.state, fields).length > 0) {
    if (inflight.size === 0) {
      const list = candidates(deps, work, asked);
      if (list.length === 0) break;
      // The free answers, if the cache gives them in time; a late read is dropped rather than applied after the answer is built.
      const lookups = Promise.all(list.map((p) => deps.caller.lookup(p, keyFor(work, p), work.ctx)));
      const found = await within(lookups, deadline - deps.clock.now());
      if (!found) {
        lookups.catch(() => {});
        storageLate = true;
        break;
      }
      if (applyFreeAnswers(deps, work, list, found)) continue;
      const now = deps.clock.now();
      // Real time routes around a degraded provider, so without bulk traffic only a probe now and then
      // (at most one out at a time) can show its spell is over: it is asked first, as the cost order
      // says, and written off at its p95 like any call to a degraded provider.
      if (health.claimProbe(list[0]!.id, now)) start(list[0]!, true, true);
      else {
        const first = realtimeOrder(list, health, deadline - now, now)[0];
        // Every provider left is slower right now than what is left of the deadline: none is bought for nothing.
        if (!first) break;
        start(first, true);
      }
    }
    const now = deps.clock.now();
    if (now >= deadline) break;
    const flights = [...inflight.values()];
    // Nothing in flight is expected to answer in time: the next provider is asked at once, outside the hedge
    // budget, which is for the single slow call of a healthy provider (below), not for a provider's bad spell.
    if (flights.every((f) => writtenOff(f, now))) {
      const then = next(now);
      if (then) {
        start(then, false);
        continue;
      }
    }
    // Wake at a call's p95; past it, look again every RECHECK_MS while its provider may be turning degraded.
    let wakeAt = deadline;
    for (const f of flights) {
      const p95 = deps.stats.p95(f.provider.id);
      if (p95 === undefined || writtenOff(f, now)) continue;
      wakeAt = Math.min(wakeAt, now < f.startedAt + p95 ? f.startedAt + p95 : now + RECHECK_MS);
    }
    const timer = new AbortController();
    const settled = await Promise.race([
      ...flights.map((f) => f.done),
      sleep(Math.max(0, wakeAt - now), timer.signal).then(
        () => undefined,
        () => undefined,
      ),
    ]);
    timer.abort();
    if (settled) {
      inflight.delete(settled.provider.id);
      if (settled.res.kind === 'answer') costUsd += settled.res.costUsd;
      decide(deps, work, settled.provider, settled.res, false);
      continue;
    }
    const woke = deps.clock.now();
    if (woke >= deadline) break;
    // The single slow call of a healthy provider: hedged with the next provider, once per lookup, rationed.
    const only = inflight.size === 1 ? [...inflight.values()][0]! : undefined;
    const p95 = only && !hedged && !only.probe ? deps.stats.p95(only.provider.id) : undefined;
    if (only && p95 !== undefined && woke >= only.startedAt + p95 && !health.degraded(only.provider.id, woke)) {
      hedged = true;
      const hedge = next(woke);
      if (hedge && deps.hedge.spend()) start(hedge, false);
    }
  }
  queueAbort.abort();
  const missing = missingFields(work.state, fields);
  const v = verdict(work.state, fields, deps.providers);
  // Providers that could still fill a field but were not asked: slower right now than the deadline allowed.
  const tooSlow = missing.length > 0 && inflight.size === 0 && !storageLate ? candidates(deps, work, asked).map((p) => p.id) : [];
  const timedOut = missing.length > 0 && (inflight.size > 0 || storageLate || tooSlow.length > 0);
  const why =
    inflight.size > 0 || storageLate
      ? `not all fields were found within ${deadlineMs} ms; the answers still coming are cached for the next lookup`
      : `not all fields were found within ${deadlineMs} ms: ${tooSlow.join(', ')} answer slower than that right now and were not asked`;
  return lookupAnswer(work, v, missing, {
    ...(timedOut ? { error: { code: 'deadline_exceeded' as const, message: why } } : {}),
    costUsd,
    elapsedMs: deps.clock.now() - started,
  });
}
