import { createHash } from 'node:crypto';
import {
  quoted,
  type CreateJobSchema,
  type ReplaySchema,
  type SubmitLeadsSchema,
  leadId,
  splitLeadId,
  type EnrichField,
  type FieldValue,
  isLeadField,
  type Field,
  type JobView,
  type RouteResponse,
  type RowFlagCode,
  type RowInput,
  type RowResult,
  type RowStatus,
} from '../../shared/index.js';
import type { z } from 'zod';
import type { Clock } from '../clock.js';
import { CascadeError } from '../errors.js';
import type { Provider } from '../providers/types.js';
import type { WriteBack } from '../sheets/port.js';
import type { CacheStore } from '../storage/cache.js';
import type { AlertsStore } from '../storage/alerts.js';
import type { CallsStore } from '../storage/calls.js';
import type { FunnelStore } from '../storage/funnel.js';
import { LOCK_WAIT_MS } from '../storage/db.js';
import { newId } from '../storage/ids.js';
import { DuplicateRowKey, type JobRecord, type JobsStore, type NewRow, type Repeat } from '../storage/jobs.js';
import type { Journal } from '../storage/journal.js';
import type { RowsStore } from '../storage/rows.js';
import type { Budgets } from './budget.js';
import type { CacheLoader } from './cacheLoader.js';
import type { Caller } from './caller.js';
import { estimateCost } from './estimate.js';
import type { HedgeBudget } from './hedgeBudget.js';
import type { HitCounter } from './hitCounter.js';
import { fieldCheck, newRows, settledHits } from './intake.js';
import { alertsNow } from './alerts.js';
import { enrichFromMemory, type MemoryEnrichDeps } from './memoryEnrich.js';
import { metricsView } from './metricsView.js';
import { enrichNow } from './realtime.js';
import { toRowResult } from './results.js';
import type { RowState } from './rowState.js';
import type { WaterfallDeps } from './waterfall.js';
import { leadJobPipeline, leadRows } from './pipeline/intake.js';
import type { Pipeline } from './pipeline/pipelines.js';
import { leadRunView, pipelineInfo } from './pipeline/view.js';
import type { LeadsStore } from '../storage/leads.js';
import { windowMs } from './window.js';

type Scoped<T = unknown> = { workspace: string } & T;
type OnJob<T = unknown> = Scoped<{ jobId: string } & T>;
type RowSubmission = { key: string; input: RowInput; data?: Partial<Record<Field, FieldValue>> };

/**
 * What the HTTP API (and any other front door) may ask of the engine: one
 * method per operation, each taking one named request and answering what
 * the route's contract (shared/routes.ts) says it answers. Every request is
 * scoped to a workspace; another workspace's job is not found.
 */
export interface CascadeService {
  createJob(req: Scoped<{ job: z.output<typeof CreateJobSchema>; idempotencyKey?: string }>): Promise<{ id: string; created: boolean }>;
  appendRows(req: OnJob<{ rows: RowSubmission[]; predict?: boolean }>): Promise<RouteResponse<'appendRows'>>;
  getJob(req: OnJob): Promise<JobView>;
  /** A fresh Google OAuth token for the job's sheet write-back; writing resumes with it. */
  setGoogleToken(req: OnJob<{ accessToken: string }>): Promise<JobView>;
  /** Rows after the cursor `after` (a row's sequence number; none for the first page), in submission order; with `key`, that row alone. */
  results(req: OnJob<{ after?: number; limit: number; status?: RowStatus; key?: string }>): Promise<RouteResponse<'results'>>;
  retry(req: OnJob<{ keys?: string[]; maxCostUsd?: number }>): Promise<RouteResponse<'retry'>>;
  /** Returns once the job's calls on the wire are answered: the cost it reports is final. */
  cancel(req: OnJob): Promise<JobView>;
  estimate(req: Scoped<{ fields: Field[]; inputs: RowInput[] }>): Promise<RouteResponse<'estimate'>>;
  enrich(req: Scoped<{ input: RowInput; fields: EnrichField[]; deadlineMs: number; predict?: boolean }>): Promise<RouteResponse<'enrich'>>;
  metrics(req: Scoped<{ window: string; jobId?: string }>): Promise<RouteResponse<'metrics'>>;
  /** The alerts in force and the week-over-week trends (api/engine/alerts.ts); brings the alert state up to date. */
  alerts(req: Scoped): Promise<RouteResponse<'alerts'>>;
  pipeline(req: Scoped): Promise<RouteResponse<'pipeline'>>;
  /** Leads from an event source, as a job of leads of their own: each runs the workspace's pipeline. */
  submitLeads(req: Scoped<z.output<typeof SubmitLeadsSchema>>): Promise<RouteResponse<'submitLeads'>>;
  getLead(req: Scoped<{ id: string }>): Promise<RouteResponse<'getLead'>>;
  replayLeads(req: Scoped<z.output<typeof ReplaySchema>>): Promise<RouteResponse<'replayLeads'>>;
}

export interface ServiceDeps {
  jobs: JobsStore;
  rows: RowsStore;
  cache: CacheStore;
  calls: CallsStore;
  alertStates: AlertsStore;
  providers: Provider[];
  clock: Clock;
  /** How old a cached answer may be and still be used. */
  freshnessMs: number;
  journal: Journal;
  caller: Caller;
  waterfall: WaterfallDeps;
  hedge: HedgeBudget;
  budgets: Budgets;
  hits: HitCounter;
  /** The hot cache: answers held in memory, for lookups answered without a database read. */
  cached: Pick<CacheLoader, 'peek' | 'version' | 'trustedUntil'>;
  /** Jobs cancelled in this process: the caller starts no call of theirs. */
  cancelled: Set<string>;
  /**
   * The jobs changed (new or re-queued rows are due, a job was cancelled):
   * the runner looks again, and so do the cluster's other members. Given the
   * job just created, it may claim that job's rows at once.
   */
  wake(job?: JobRecord): void;
  writeBack?: WriteBack;
  /** The workspace's lead pipeline, if it has one. */
  pipelineOf(workspace: string): Pipeline | undefined;
  /** The pipelines' qualifiers: providers of their own in the figures, with their labels and prices. */
  qualifiers: readonly Provider[];
  leads: LeadsStore;
  funnel: FunnelStore;
}

export function createService(deps: ServiceDeps): CascadeService {
  const { jobs, rows: rowStore, providers, clock, journal, caller, budgets, hits, cancelled, writeBack } = deps;

  const requireJob = async (ws: string, jobId: string) => {
    const job = await jobs.find(ws, jobId);
    if (!job) throw new CascadeError('not_found', `no job ${jobId} in this workspace`, 'id');
    return job;
  };

  const checkFields = fieldCheck(providers);
  const memoryDeps: MemoryEnrichDeps = {
    ...deps.waterfall,
    peek: (ws, key) => deps.cached.peek(ws, key),
    memoryVersion: () => deps.cached.version + deps.waterfall.caller.recentVersion,
    trustedUntil: (ws, key) => deps.cached.trustedUntil(ws, key),
    countCacheHit: (ws, provider) => hits.count(ws, provider, null),
    earn: () => deps.hedge.earn(),
  };
  // The cache as the waterfall would find it now: for taking submitted rows as far as it goes, and for estimates.
  const settleDeps = {
    waterfall: deps.waterfall,
    readCache: (ws: string, keys: Parameters<CacheStore['read']>[1]) => deps.cache.read(ws, keys, clock.now() - deps.freshnessMs),
  };
  /** Rows as they are stored: a job of leads enriches what its pipeline needs, and its rows all have their run ahead. */
  const intake = async (
    ws: string,
    jobId: string,
    rows: RowSubmission[],
    fields: Field[],
    pipeline: Pipeline | undefined,
    predict = false,
    source = 'sheet',
  ) => {
    if (!pipeline) return newRows(settleDeps, ws, jobId, rows, fields, 'rows', predict);
    const settled = await newRows(settleDeps, ws, jobId, rows, pipeline.enrichFields(fields), 'rows', predict);
    return leadRows(
      settled,
      rows.map((r) => r.data),
      source,
      clock.now(),
    );
  };
  /** The answers newRows took from the cache are cache hits of the job, once its rows are stored. */
  const countSettledHits = (ws: string, jobId: string, rows: NewRow<RowState>[]) => {
    for (const [p, n] of settledHits(rows)) hits.count(ws, p, jobId, n);
  };

  async function view(job: JobRecord): Promise<JobView> {
    const sheet = await writeBack?.progress(job);
    return {
      id: job.id,
      status: job.status,
      fields: job.fields,
      counts: await rowStore.count(job.id),
      costUsd: Math.round(job.costUsd * 1e6) / 1e6,
      maxCostUsd: job.maxCostUsd,
      createdAt: new Date(job.createdAt).toISOString(),
      finishedAt: job.finishedAt === null ? null : new Date(job.finishedAt).toISOString(),
      ...(sheet ? { sheet } : {}),
    };
  }

  return {
    async createJob({ workspace: ws, job: body, idempotencyKey }) {
      const pipeline = leadJobPipeline(deps.pipelineOf, ws, body.fields);
      checkFields(
        body.fields.filter((f) => !isLeadField(f)),
        body.predict,
      );
      // The token is a credential, not part of what the job is: a repeat with a fresher token is the same job.
      const { googleAccessToken, ...hashed } = body;
      const bodyHash = idempotencyKey ? createHash('sha256').update(JSON.stringify(hashed)).digest('hex') : undefined;
      const answerRepeat = async (repeat: Repeat) => {
        if (repeat.kind === 'conflict')
          throw new CascadeError('idempotency_conflict', 'this Idempotency-Key was used with a different body', 'Idempotency-Key');
        if (body.sheet && googleAccessToken) await writeBack?.setToken(repeat.job.id, googleAccessToken);
        return { id: repeat.job.id, created: false };
      };
      // A client repeating a request it lost the answer to gets the first job before any of the rows' work is done again.
      const repeat = idempotencyKey ? await jobs.findRepeat(ws, idempotencyKey, bodyHash) : undefined;
      if (repeat) return answerRepeat(repeat);
      const id = newId('job');
      const rows = await intake(ws, id, body.rows, body.fields, pipeline, body.predict);
      if (body.sheet) {
        if (!writeBack) throw new CascadeError('invalid_body', 'this server does not write to Google Sheets', 'sheet');
        await writeBack.attach({ id, workspaceId: ws, fields: body.fields }, body.sheet, googleAccessToken, rows);
      }
      const leads = pipeline ? { source: 'sheet', deliver: body.pipeline?.deliver ?? false, notify: body.pipeline?.notify ?? false } : null;
      const res = await jobs.create(
        {
          id,
          workspaceId: ws,
          fields: body.fields,
          pipeline: leads,
          maxCostUsd: body.maxCostUsd,
          idempotencyKey,
          bodyHash,
          freshnessMs: deps.freshnessMs,
          rows,
        },
        clock.now(),
      );
      if (res.kind !== 'created') {
        // Another request with the same key got there first, while this one did its rows.
        if (body.sheet) await writeBack!.detach(id);
        return answerRepeat(res);
      }
      countSettledHits(ws, id, rows);
      // Rows all settled from the cache or invalid: nothing to claim, a pass sees the job done.
      deps.wake(rows.some((r) => r.status === 'pending') ? res.job : undefined);
      return { id, created: true };
    },

    async setGoogleToken({ workspace, jobId, accessToken }) {
      await requireJob(workspace, jobId);
      if (!writeBack) throw new CascadeError('not_found', `job ${jobId} has no sheet target`, 'id');
      await writeBack.setToken(jobId, accessToken);
      return view(await requireJob(workspace, jobId));
    },

    async appendRows({ workspace: ws, jobId, rows, predict = false }) {
      const job = await requireJob(ws, jobId);
      if (job.status === 'cancelled') throw new CascadeError('job_cancelled', 'the job was cancelled; retry it to resume before adding rows', 'id');
      await writeBack?.checkRows(jobId, rows, 'rows');
      try {
        const stored = await intake(ws, jobId, rows, job.fields, job.pipeline ? deps.pipelineOf(ws) : undefined, predict);
        await jobs.append(jobId, stored, clock.now());
        countSettledHits(ws, jobId, stored);
      } catch (err) {
        if (err instanceof DuplicateRowKey) {
          const at = `rows[${rows.findIndex((r) => r.key === err.key)}].key`;
          throw new CascadeError('duplicate_row_key', `the row key ${quoted(err.key)} is already in the job; none of the batch was stored`, at, { cause: err });
        }
        throw err;
      }
      deps.wake();
      return { appended: rows.length };
    },

    async getJob({ workspace, jobId }) {
      return view(await requireJob(workspace, jobId));
    },

    async results({ workspace, jobId, after = -1, limit, status, key }) {
      const job = await requireJob(workspace, jobId);
      const rows = await rowStore.list(jobId, after, limit, status, key);
      const out: RowResult[] = rows.map((r) =>
        toRowResult(r.key, r.status, r.state, job.fields, r.errorCode ? { code: r.errorCode as RowFlagCode, message: r.errorMessage ?? '' } : undefined),
      );
      const last = rows[rows.length - 1];
      // A key names one row (keys are unique in a job): there is no page after it.
      return { rows: out, ...(rows.length === limit && last && key === undefined ? { next: String(last.seq) } : {}) };
    },

    async retry({ workspace, jobId, keys, maxCostUsd }) {
      const job = await requireJob(workspace, jobId);
      if (maxCostUsd !== undefined) await jobs.setBudget(jobId, maxCostUsd);
      cancelled.delete(jobId);
      const requeued = await rowStore.retry(jobId, keys, clock.now());
      await writeBack?.resume(jobId);
      budgets.forget(job.id);
      deps.wake();
      return { requeued };
    },

    async cancel({ workspace, jobId }) {
      await requireJob(workspace, jobId);
      // In memory first: no call of the job starts after this line. Then wait out the ones on the
      // wire, so that when this returns nothing of the job reaches a provider any more and the cost is final.
      cancelled.add(jobId);
      await caller.settled(jobId);
      // While commits are refused this answers storage_busy within the storage wait; the cancel holds (in memory) and is sent again.
      await journal.drain(LOCK_WAIT_MS);
      await jobs.cancel(jobId, clock.now());
      // Members holding rows of the job see it cancelled when they next look: now, not at their next poll.
      deps.wake();
      return view(await requireJob(workspace, jobId));
    },

    estimate({ workspace, fields, inputs }) {
      checkFields(fields);
      return estimateCost(settleDeps, workspace, fields, inputs);
    },

    async enrich({ workspace, input, fields, deadlineMs, predict = false }) {
      checkFields(fields, predict);
      // Every answer in memory (the hot cache): answered here, synchronously. Otherwise the full path reads the database and buys.
      return (
        enrichFromMemory(memoryDeps, workspace, input, fields, predict) ??
        enrichNow({ ...deps.waterfall, hedge: deps.hedge }, workspace, input, fields, deadlineMs, predict)
      );
    },

    async metrics({ workspace, window, jobId }) {
      if (jobId) await requireJob(workspace, jobId);
      // The figures include the cache hits counted so far, unless commits are stalled: then they show what is committed.
      await hits.flush(LOCK_WAIT_MS);
      const since = clock.now() - windowMs(window);
      // The funnel's floor is the one the qualify step applies: none without a qualifier.
      const pipeline = deps.pipelineOf(workspace);
      const minScore = pipeline?.qualifier && pipeline.config.qualify ? pipeline.config.qualify.minScore : null;
      // A job's only: a workspace's window of jobs of leads would read every lead's checkpoint in it (funnel.ts).
      const [{ providers: figures, overall }, counts] = await Promise.all([
        deps.calls.metrics(workspace, since, jobId),
        jobId ? deps.funnel.funnel(workspace, jobId, minScore) : undefined,
      ]);
      return metricsView([...providers, ...deps.qualifiers], figures, overall, { window, since, jobId, ...(counts ? { funnel: { counts, minScore } } : {}) });
    },

    async alerts({ workspace }) {
      // The cache hits counted so far, as metrics does, so the two answer from the same calls.
      await hits.flush(LOCK_WAIT_MS);
      return alertsNow({ calls: deps.calls, states: deps.alertStates, providers, clock }, workspace);
    },

    async pipeline({ workspace }) {
      return pipelineInfo(deps.pipelineOf(workspace));
    },

    async submitLeads({ workspace: ws, source, leads, fields, deliver, notify }) {
      const pipeline = deps.pipelineOf(ws);
      if (!pipeline) throw new CascadeError('pipeline_not_configured', 'this workspace has no lead pipeline configured', 'source');
      checkFields(fields);
      const id = newId('job');
      const rows = leads.map((l, i) => ({ key: l.key ?? String(i + 1), input: l.input, data: l.data }));
      const stored = await intake(ws, id, rows, [...fields, ...pipeline.outputs], pipeline, false, source);
      const jobFields = [...new Set([...pipeline.enrichFields(fields), ...pipeline.outputs])];
      const created = await jobs.create(
        { id, workspaceId: ws, fields: jobFields, pipeline: { source, deliver, notify }, freshnessMs: deps.freshnessMs, rows: stored },
        clock.now(),
      );
      deps.wake(created.kind === 'created' ? created.job : undefined);
      return { jobId: id, leads: rows.map((r) => ({ id: leadId(id, r.key), key: r.key })) };
    },

    async getLead({ workspace, id }) {
      const { jobId, key } = splitLeadId(id);
      const row = await deps.leads.find(workspace, jobId, key);
      if (!row) throw new CascadeError('not_found', `no lead ${quoted(id)} in this workspace`, 'id');
      return leadRunView(row, await deps.leads.steps(jobId, row.seq));
    },

    async replayLeads({ workspace, source, step, since, until }) {
      const filter = { source, step, since: since === undefined ? undefined : Date.parse(since), until: until === undefined ? undefined : Date.parse(until) };
      const replayed = await deps.leads.replay(workspace, filter, clock.now());
      if (replayed > 0) deps.wake();
      return { replayed };
    },
  };
}
