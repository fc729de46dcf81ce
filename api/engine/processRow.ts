import type { RowFlagCode, RowStatus } from '../../shared/index.js';
import type { Clock } from '../clock.js';
import type { Provider } from '../providers/types.js';
import type { JobRecord } from '../storage/jobs.js';
import type { Journal } from '../storage/journal.js';
import { completedRows, releasedRows, type ClaimedRow } from '../storage/rows.js';
import { admit } from './admit.js';
import { heldKey } from './caller.js';
import { isRealtimeJob, type Pipeline } from './pipeline/pipelines.js';
import type { leadRunner } from './pipeline/runLead.js';
import { runIndependent } from './parallelWaterfall.js';
import { restoreState } from './rowState.js';
import { runWaterfall, type RowOutcome, type WaterfallDeps } from './waterfall.js';

export interface RowProcessorDeps {
  providers: readonly Provider[];
  waterfall: WaterfallDeps;
  journal: Journal;
  clock: Clock;
  workerId: string;
  /** Aborted at shutdown: rows waiting for a slot are released, to run again after the restart. */
  stopping: AbortSignal;
  /** The workspace's lead pipeline, which the rows of jobs of leads run through after their enrichment. */
  pipelines(workspace: string): Pipeline | undefined;
  runLead: ReturnType<typeof leadRunner>;
}

/**
 * One claimed row from its checkpoint to its end or back to the queue: the
 * runner's `processRow`. Invariant: it finishes (complete) or releases the
 * row it is given, under the lease the claim took, through the journal.
 */
export function rowProcessor(deps: RowProcessorDeps): (job: JobRecord, row: ClaimedRow) => Promise<void> {
  const { providers, waterfall, journal, clock, workerId, stopping } = deps;
  return async (job, row) => {
    // A job of leads whose workspace lost its pipeline (a config change) enriches only: its lead fields stay empty.
    const pipeline = job.pipeline ? deps.pipelines(job.workspaceId) : undefined;
    const fields = pipeline ? pipeline.enrichFields(job.fields) : job.fields;
    const norm = admit(providers, row.input, fields);
    const state = restoreState(row.state);
    const lease = { jobId: job.id, seq: row.seq, workerId, state };
    const complete = (status: RowStatus, error?: { code: RowFlagCode; message: string }) =>
      journal.write(completedRows, { ...lease, at: clock.now(), status, errorCode: error?.code ?? null, errorMessage: error?.message ?? null });
    const release = (runAt: number, countAttempt: boolean) => journal.write(releasedRows, { ...lease, at: clock.now(), runAt, countAttempt });
    if (!norm.ok) return complete('invalid_input', { code: 'invalid_input', message: norm.message });
    const ws = job.workspaceId;
    // Leads from a real-time source (a form) go ahead of bulk work at every provider, as real-time lookups do.
    const realtime = isRealtimeJob(deps.pipelines, job);
    const held = new Set(row.held.map(([provider, inputKey]) => heldKey(provider, inputKey)));
    const ctx = { workspace: ws, jobId: job.id, segment: norm.segment, lane: { realtime, workspace: ws, job: job.id }, signal: stopping, held };
    const enrich = async (): Promise<RowOutcome> => {
      try {
        const work = { input: norm.input, kinds: norm.kinds, fields, state, predict: state.predict, ctx };
        // A lead's firmographic and contact lookups do not wait for each other: someone may be waiting on the lead.
        return await (pipeline ? runIndependent(waterfall, work) : runWaterfall(waterfall, work));
      } catch (err) {
        if (!stopping.aborted) throw err;
        return { kind: 'cancelled' };
      }
    };
    if (pipeline) {
      const lead = { workspace: ws, jobId: job.id, seq: row.seq, key: row.key, source: job.pipeline!.source, input: norm.input, state, pipeline, ctx };
      return deps.runLead({ ...lead, effects: { deliver: job.pipeline!.deliver, notify: job.pipeline!.notify } }, enrich, { complete, release });
    }
    const outcome = await enrich();
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
  };
}
