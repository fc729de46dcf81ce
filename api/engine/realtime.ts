import type { EnrichResult, Field, RowInput } from '../../shared/index.js';
import type { Provider } from '../providers/types.js';
import type { StepResult } from './caller.js';
import { sleep } from '../clock.js';
import type { HedgeBudget } from './hedgeBudget.js';
import { admit } from './admit.js';
import { emptyState } from './rowState.js';
import { applyFreeAnswers, candidates, decide, keyFor, missingFields, stepFor, verdict, type RowWork, type WaterfallDeps } from './waterfall.js';
import { toRowResult } from './results.js';

type Settled = { provider: Provider; res: StepResult };

/** `work`'s outcome if it settles within `ms`, else undefined (it goes on in the background, unobserved). */
async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  const timer = new AbortController();
  try {
    return await Promise.race([work, sleep(Math.max(0, ms), timer.signal).then(() => undefined, () => undefined)]);
  } finally {
    timer.abort();
  }
}

/**
 * One row, now: the same cache and waterfall as bulk jobs, ahead of them in
 * every provider's queue, answered by the deadline with whatever was found.
 * A provider running past its own p95 may be hedged with the next one.
 * Requests still out at the deadline finish in the background and are cached.
 * The deadline holds whatever the database does: every wait here, the cache
 * reads included, is raced against it (a cache read waits on a database
 * server out of reach, a purchase on commits being refused).
 */
export async function enrichNow(
  deps: WaterfallDeps & { hedge: HedgeBudget },
  workspace: string,
  raw: RowInput,
  fields: Field[],
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
  const work: RowWork = {
    input: norm.input,
    kinds: norm.kinds,
    fields,
    state: emptyState(),
    predict,
    ctx: { workspace, jobId: null, segment: norm.segment, lane: { realtime: true, workspace, job: '' }, signal: queueAbort.signal },
  };
  deps.hedge.earn();
  const inflight = new Map<string, { provider: Provider; startedAt: number; done: Promise<Settled> }>();
  // `looked`: the cache was just read for this provider; a hedge was not, and must look first.
  const start = (p: Provider, looked: boolean) =>
    inflight.set(p.id, {
      provider: p,
      startedAt: deps.clock.now(),
      done: stepFor(deps, work, p, looked).then(
        (res) => ({ provider: p, res }),
        (err) => ({ provider: p, res: { kind: 'failed', code: 'deadline_exceeded', transient: true, message: String(err) } as StepResult }),
      ),
    });
  let costUsd = 0;
  let hedged = false;
  let storageLate = false;
  while (missingFields(work.state, fields).length > 0) {
    const waiting = new Set(inflight.keys());
    if (inflight.size === 0) {
      const list = candidates(deps, work);
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
      start(list[0]!, true);
    }
    const now = deps.clock.now();
    if (now >= deadline) break;
    const only = inflight.size === 1 ? [...inflight.values()][0]! : undefined;
    const p95 = only && !hedged ? deps.stats.p95(only.provider.id) : undefined;
    const hedgeAt = p95 !== undefined ? only!.startedAt + p95 : Infinity;
    const timer = new AbortController();
    const wakeAt = Math.min(hedgeAt, deadline);
    const settled = await Promise.race([
      ...[...inflight.values()].map((f) => f.done),
      sleep(Math.max(0, wakeAt - now), timer.signal).then(() => undefined, () => undefined),
    ]);
    timer.abort();
    if (settled) {
      inflight.delete(settled.provider.id);
      if (settled.res.kind === 'answer') costUsd += settled.res.costUsd;
      decide(deps, work, settled.provider, settled.res, false);
      continue;
    }
    if (deps.clock.now() >= deadline) break;
    const hedge = candidates(deps, work, new Set([...waiting, ...inflight.keys()]))[0];
    hedged = true;
    if (hedge && deps.hedge.spend()) start(hedge, false);
  }
  queueAbort.abort();
  const missing = missingFields(work.state, fields);
  const v = verdict(work.state, fields, deps.providers);
  const result = toRowResult('', v.status, work.state, fields, v.error);
  const timedOut = missing.length > 0 && (inflight.size > 0 || storageLate);
  return {
    status: result.status,
    values: result.values,
    sources: result.sources,
    provenance: result.provenance,
    missing,
    ...(timedOut
      ? { error: { code: 'deadline_exceeded' as const, message: `not all fields were found within ${deadlineMs} ms; the answers still coming are cached for the next lookup` } }
      : result.error
        ? { error: result.error }
        : {}),
    costUsd,
    elapsedMs: deps.clock.now() - started,
  };
}
