import { createHash, randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import {
  type RowFlagCode,
  type Field,
  type JobView,
  type Metrics,
  type RowInput,
  type RowResult,
  type RowStatus,
  type SheetTarget,
  quoted,
} from '../../shared/index.js';
import type { Config } from '../config/schema.js';
import { causeChain, CascadeError } from '../errors.js';
import type { Provider } from '../providers/types.js';
import type { WriteBack } from '../sheets/port.js';
import { cacheStore, storedAnswers, type CacheKey } from '../storage/cache.js';
import { callsStore, recordedCalls, type CallRecord } from '../storage/calls.js';
import { LOCK_WAIT_MS, type Database } from '../storage/db.js';
import { newId } from '../storage/ids.js';
import { activeJobs } from '../storage/jobs/activeJobs.js';
import { appendRows, DuplicateRowKey } from '../storage/jobs/appendRows.js';
import { cancelJob } from '../storage/jobs/cancelJob.js';
import { createJob } from '../storage/jobs/createJob.js';
import { findJob } from '../storage/jobs/findJob.js';
import { findRepeat, type Repeat } from '../storage/jobs/findRepeat.js';
import { finishJobIfDone } from '../storage/jobs/finishJobIfDone.js';
import { setJobBudget } from '../storage/jobs/setJobBudget.js';
import type { JobRecord, NewRow } from '../storage/jobs/types.js';
import { Journal } from '../storage/journal.js';
import { completedRows, releasedRows, rowsStore, type ClaimedRow } from '../storage/rows.js';
import { isTransientFailure } from '../storage/transientFailure.js';
import { Budgets } from './budget.js';
import { CacheLoader } from './cacheLoader.js';
import { Caller } from './caller.js';
import type { Clock } from '../clock.js';
import { ProviderGate } from '../flow/gate.js';
import { estimateCost } from './estimate.js';
import { HedgeBudget } from './hedgeBudget.js';
import { HitCounter } from './hitCounter.js';
import { fieldCheck, newRows, settledHits } from './intake.js';
import { metricsView } from './metricsView.js';
import { admit } from './admit.js';
import { Ranking } from './order.js';
import { enrichNow } from './realtime.js';
import { toRowResult } from './results.js';
import { restoreState, type RowState } from './rowState.js';
import { Runner } from './runner.js';
import { Stats } from './stats.js';
import { runWaterfall, type WaterfallDeps } from './waterfall.js';
import { windowMs } from './window.js';

export interface EngineDeps {
  database: Database;
  config: Config;
  providers: Provider[];
  clock: Clock;
  log: (msg: string, extra?: Record<string, unknown>) => void;
  random?: () => number;
  workerId?: string;
  /** Writes results into Google Sheets for jobs that carry a sheet target. */
  writeBack?: WriteBack;
}

export type Engine = Awaited<ReturnType<typeof createEngine>>;

const DAY = 86_400_000;
const STORAGE_TROUBLE_LOG_MS = 5000;

export async function createEngine(deps: EngineDeps) {
  const { database, config, providers, clock } = deps;
  const db = database.db;
  const storage = { cache: cacheStore(db), calls: callsStore(db), rows: rowsStore(db) };
  const engineCfg = config.engine;
  const workerId = deps.workerId ?? `w_${randomBytes(6).toString('hex')}`;
  const journal = new Journal(database.commit);
  const stats = new Stats(await storage.calls.tallies(clock.now() - 90 * DAY));
  const budgets = new Budgets();
  const cancelled = new Set<string>();
  const stopping = new AbortController();
  // Every row waiting for a provider slot listens on this one signal.
  setMaxListeners(0, stopping.signal);
  const gates = new Map(
    providers.map((p) => [
      p.id,
      new ProviderGate({
        concurrency: p.concurrency,
        ratePerSecond: p.ratePerSecond,
        initialConcurrency: engineCfg.initialConcurrency,
        maxConcurrency: engineCfg.maxConcurrency,
        clock,
      }),
    ]),
  );
  const freshnessMs = config.cache.freshnessDays * DAY;
  const cacheLoader = new CacheLoader(storage.cache.read, () => clock.now() - freshnessMs);

  const hits = new HitCounter(journal, clock, deps.log);
  hits.start();

  // The id is made here, once: the journal may send the entry more than once, and the id makes that harmless.
  // Unique to this engine's run, then counted up, so each call's index entry goes next to the last one; random
  // ids scattered them over the whole index, and every commit rewrote a few of its pages into the WAL.
  const callIdPrefix = randomBytes(6).toString('base64url');
  let callCount = 0;
  const recordCall = (call: CallRecord) => journal.write(recordedCalls, { ...call, id: `${callIdPrefix}${(callCount++).toString(36).padStart(8, '0')}` });
  const caller = new Caller({
    gates,
    cache: cacheLoader,
    storeAnswer(call) {
      const { inputKey, values, ...record } = call;
      // Written in the same turn, so the answer and its journal entry commit together.
      void journal.write(storedAnswers, { workspaceId: call.workspaceId, providerId: call.providerId, inputKey, outcome: call.outcome as 'match' | 'no_match', values, fetchedAt: call.at });
      return recordCall(record);
    },
    recordCall,
    storageFailing: () => journal.failing,
    countCacheHit: (ws, provider, jobId) => hits.count(ws, provider, jobId),
    stats,
    budgets,
    isCancelled: (jobId) => jobId !== null && cancelled.has(jobId),
    engine: engineCfg,
    clock,
  });

  const waterfall: WaterfallDeps = {
    providers,
    caller,
    stats,
    ranking: new Ranking(providers, stats, config.order),
    clock,
    retryDelaysMs: engineCfg.retryDelaysMs,
    random: deps.random ?? Math.random,
  };
  const hedge = new HedgeBudget(engineCfg.hedgeRatio);

  async function processRow(job: JobRecord, row: ClaimedRow): Promise<void> {
    const fields = job.fields as Field[];
    const norm = admit(providers, row.input as RowInput, fields);
    const state = restoreState(row.state);
    const lease = { jobId: job.id, seq: row.seq, workerId, state };
    const complete = (status: RowStatus, error?: { code: string; message: string }) =>
      journal.write(completedRows, { ...lease, at: clock.now(), status, errorCode: error?.code ?? null, errorMessage: error?.message ?? null });
    const release = (runAt: number, countAttempt: boolean) => journal.write(releasedRows, { ...lease, at: clock.now(), runAt, countAttempt });
    if (!norm.ok) return complete('invalid_input', { code: 'invalid_input', message: norm.message });
    const ws = job.workspaceId;
    let outcome;
    try {
      outcome = await runWaterfall(waterfall, {
        input: norm.input,
        kinds: norm.kinds,
        fields,
        state,
        predict: state.predict,
        ctx: { workspace: ws, jobId: job.id, segment: norm.segment, lane: { realtime: false, workspace: ws, job: job.id }, signal: stopping.signal },
      });
    } catch (err) {
      if (!stopping.signal.aborted) throw err;
      outcome = { kind: 'cancelled' as const };
    }
    switch (outcome.kind) {
      case 'done':
        return complete(outcome.status, outcome.error);
      case 'budget_exhausted':
        return complete('budget_exhausted', {
          code: 'budget_exhausted',
          message: `the next call could pass the job's cost cap of $${job.maxCostUsd}; retry with a higher maxCostUsd`,
        });
      case 'retry':
        return release(outcome.at, true);
      case 'cancelled':
        return release(clock.now(), false);
    }
  }

  // While the database is locked or out of reach, every poll and heartbeat fails the same way: a line every
  // few seconds says so, not a stack trace each time.
  let storageTroubleAt = -Infinity;
  const storageTrouble = (err: unknown) => {
    if (clock.now() - storageTroubleAt < STORAGE_TROUBLE_LOG_MS) return;
    storageTroubleAt = clock.now();
    // The innermost cause says what happened (a lock, a refused connection); drizzle's wrapper only repeats the query.
    const cause = [...causeChain(err)].at(-1);
    deps.log('database busy or out of reach; the runner keeps trying', { err: cause instanceof Error ? cause.message : String(cause) });
  };
  const runner = new Runner({
    store: {
      activeJobs: () => activeJobs(db),
      claim: storage.rows.claim,
      reclaimExpired: storage.rows.reclaimExpired,
      heartbeat: storage.rows.heartbeat,
      finishJobIfDone: async (jobId, now) => {
        await journal.drain();
        return finishJobIfDone(db, jobId, now);
      },
    },
    processRow,
    onJobsLoaded: (jobs) => jobs.forEach((j) => budgets.track(j.id, j.maxCostUsd, j.costUsd)),
    onJobDone: (job) => {
      budgets.forget(job.id);
      deps.log('job done', { job: job.id });
    },
    onError: (err) => (isTransientFailure(err) ? storageTrouble(err) : deps.log('runner error', { err: err instanceof Error ? err.stack : String(err) })),
    engine: engineCfg,
    clock,
    workerId,
  });

  // ---- the operations the HTTP API exposes ----

  const requireJob = async (ws: string, jobId: string) => {
    const job = await findJob(db, ws, jobId);
    if (!job) throw new CascadeError('not_found', `no job ${jobId} in this workspace`, 'id');
    return job;
  };

  const checkFields = fieldCheck(providers);
  // The cache as the waterfall would find it now: for taking submitted rows as far as it goes, and for estimates.
  const settleDeps = { waterfall, readCache: (ws: string, keys: CacheKey[]) => storage.cache.read(ws, keys, clock.now() - freshnessMs) };
  const toNewRows = (ws: string, jobId: string, rows: { key: string; input: RowInput }[], fields: Field[], path: string, predict = false) =>
    newRows(settleDeps, ws, jobId, rows, fields, path, predict);
  /** The answers toNewRows took from the cache are cache hits of the job, once its rows are stored. */
  const countSettledHits = (ws: string, jobId: string, rows: NewRow<RowState>[]) => {
    for (const [p, n] of settledHits(rows)) hits.count(ws, p, jobId, n);
  };

  async function view(job: JobRecord): Promise<JobView> {
    const sheet = await deps.writeBack?.progress(job);
    return {
      id: job.id,
      status: job.status,
      fields: job.fields as Field[],
      counts: await storage.rows.count(job.id),
      costUsd: Math.round(job.costUsd * 1e6) / 1e6,
      maxCostUsd: job.maxCostUsd,
      createdAt: new Date(job.createdAt).toISOString(),
      finishedAt: job.finishedAt === null ? null : new Date(job.finishedAt).toISOString(),
      ...(sheet ? { sheet } : {}),
    };
  }

  return {
    workerId,
    start: () => runner.start(),
    async stop(): Promise<void> {
      stopping.abort(new Error('shutting down'));
      await runner.stop();
      await hits.stop();
      await journal.drain();
      for (const g of gates.values()) g.close();
    },

    async createJob(
      ws: string,
      body: { fields: Field[]; rows: { key: string; input: RowInput }[]; maxCostUsd?: number; sheet?: SheetTarget; googleAccessToken?: string; predict?: boolean },
      idempotencyKey?: string,
    ) {
      checkFields(body.fields, body.predict);
      // The token is a credential, not part of what the job is: a repeat with a fresher token is the same job.
      const { googleAccessToken, ...hashed } = body;
      const bodyHash = idempotencyKey ? createHash('sha256').update(JSON.stringify(hashed)).digest('hex') : undefined;
      const answerRepeat = async (repeat: Repeat) => {
        if (repeat.kind === 'conflict') throw new CascadeError('idempotency_conflict', 'this Idempotency-Key was used with a different body', 'Idempotency-Key');
        if (body.sheet && googleAccessToken) await deps.writeBack?.setToken(repeat.job.id, googleAccessToken);
        return { id: repeat.job.id, created: false };
      };
      // A client repeating a request it lost the answer to gets the first job before any of the rows' work is done again.
      const repeat = idempotencyKey ? await findRepeat(db, ws, idempotencyKey, bodyHash) : undefined;
      if (repeat) return answerRepeat(repeat);
      const id = newId('job');
      const rows = await toNewRows(ws, id, body.rows, body.fields, 'rows', body.predict);
      if (body.sheet) {
        if (!deps.writeBack) throw new CascadeError('invalid_body', 'this server does not write to Google Sheets', 'sheet');
        await deps.writeBack.attach({ id, workspaceId: ws, fields: body.fields }, body.sheet, googleAccessToken, rows);
      }
      const res = await createJob(db, { id, workspaceId: ws, fields: body.fields, maxCostUsd: body.maxCostUsd, idempotencyKey, bodyHash, rows }, clock.now());
      if (res.kind !== 'created') {
        // Another request with the same key got there first, while this one did its rows.
        if (body.sheet) await deps.writeBack!.detach(id);
        return answerRepeat(res);
      }
      countSettledHits(ws, id, rows);
      runner.wake();
      return { id, created: true };
    },

    /** A fresh Google OAuth token for a job's sheet write-back; writing resumes with it. */
    async setGoogleToken(ws: string, jobId: string, accessToken: string) {
      await requireJob(ws, jobId);
      if (!deps.writeBack) throw new CascadeError('not_found', `job ${jobId} has no sheet target`, 'id');
      await deps.writeBack.setToken(jobId, accessToken);
      return view(await requireJob(ws, jobId));
    },

    async appendRows(ws: string, jobId: string, rows: { key: string; input: RowInput }[], predict = false) {
      const job = await requireJob(ws, jobId);
      if (job.status === 'cancelled') throw new CascadeError('job_cancelled', 'the job was cancelled; retry it to resume before adding rows', 'id');
      await deps.writeBack?.checkRows(jobId, rows, 'rows');
      try {
        const newRows = await toNewRows(ws, jobId, rows, job.fields as Field[], 'rows', predict);
        await appendRows(db, jobId, newRows, clock.now());
        countSettledHits(ws, jobId, newRows);
      } catch (err) {
        if (err instanceof DuplicateRowKey) {
          const at = `rows[${rows.findIndex((r) => r.key === err.key)}].key`;
          throw new CascadeError('duplicate_row_key', `the row key ${quoted(err.key)} is already in the job; none of the batch was stored`, at, { cause: err });
        }
        throw err;
      }
      runner.wake();
      return { appended: rows.length };
    },

    async getJob(ws: string, jobId: string): Promise<JobView> {
      return view(await requireJob(ws, jobId));
    },

    async results(ws: string, jobId: string, after: number, limit: number, status?: RowStatus) {
      const job = await requireJob(ws, jobId);
      const rows = await storage.rows.list(jobId, after, limit, status);
      const out: RowResult[] = rows.map((r) =>
        toRowResult(
          r.key,
          r.status,
          r.state,
          job.fields as Field[],
          r.errorCode ? { code: r.errorCode as RowFlagCode, message: r.errorMessage ?? '' } : undefined,
        ),
      );
      const last = rows[rows.length - 1];
      return { rows: out, ...(rows.length === limit && last ? { next: String(last.seq) } : {}) };
    },

    async retry(ws: string, jobId: string, keys?: string[], maxCostUsd?: number) {
      const job = await requireJob(ws, jobId);
      if (maxCostUsd !== undefined) await setJobBudget(db, jobId, maxCostUsd);
      cancelled.delete(jobId);
      const requeued = await storage.rows.retry(jobId, keys, clock.now());
      await deps.writeBack?.resume(jobId);
      budgets.forget(job.id);
      runner.wake();
      return { requeued };
    },

    async cancel(ws: string, jobId: string) {
      await requireJob(ws, jobId);
      // In memory first: no call of the job starts after this line. Then wait out the ones on the
      // wire, so that when this returns nothing of the job reaches a provider any more and the cost is final.
      cancelled.add(jobId);
      await caller.settled(jobId);
      // While commits are refused this answers storage_busy within the storage wait; the cancel holds (in memory) and is sent again.
      await journal.drain(LOCK_WAIT_MS);
      await cancelJob(db, jobId, clock.now());
      return view(await requireJob(ws, jobId));
    },

    estimate(ws: string, fields: Field[], inputs: RowInput[]) {
      checkFields(fields);
      return estimateCost(settleDeps, ws, fields, inputs);
    },

    enrich(ws: string, input: RowInput, fields: Field[], deadlineMs: number, predict = false) {
      checkFields(fields, predict);
      return enrichNow({ ...waterfall, hedge }, ws, input, fields, deadlineMs, predict);
    },

    async metrics(ws: string, window: string, jobId?: string): Promise<Metrics> {
      if (jobId) await requireJob(ws, jobId);
      // The figures include the cache hits counted so far, unless commits are stalled: then they show what is committed.
      await hits.flush(LOCK_WAIT_MS);
      const since = clock.now() - windowMs(window);
      const { providers: figures, overall } = await storage.calls.metrics(ws, since, jobId);
      return metricsView(providers, figures, overall, { window, since, jobId });
    },

    /** Flow-control state per provider, for the benchmark's report. */
    gates,
  };
}
