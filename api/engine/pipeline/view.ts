import { LEAD_STEPS, leadId, type LeadRun, type PipelineInfo, type RowFlagCode, type StepAttempt } from '../../../shared/index.js';
import type { LeadRow, StepRecord } from '../../storage/leads.js';
import type { Pipeline } from './pipelines.js';

const attemptOf = (s: StepRecord): StepAttempt => ({
  step: s.step,
  attempt: s.attempt,
  outcome: s.outcome,
  at: new Date(s.at).toISOString(),
  durationMs: s.durationMs,
  costUsd: s.costUsd,
  by: s.by,
  output: s.output,
  ...(s.judgement ? { judgement: true } : {}),
  ...(s.errorCode ? { error: { code: s.errorCode as RowFlagCode, message: s.errorMessage ?? '' } } : {}),
});

/** A lead's run as GET /v1/leads/{id} shows it: its values, each step's latest attempt in run order, and the whole journal. */
export function leadRunView(row: LeadRow, journal: StepRecord[]): LeadRun {
  const history = journal.map(attemptOf);
  const latest = new Map(history.map((a) => [a.step, a]));
  return {
    id: leadId(row.jobId, row.key),
    jobId: row.jobId,
    key: row.key,
    source: row.pipeline.source,
    status: row.status,
    values: { ...row.state?.values },
    steps: LEAD_STEPS.flatMap((s) => latest.get(s) ?? []),
    history,
    ...(row.errorCode ? { error: { code: row.errorCode as RowFlagCode, message: row.errorMessage ?? '' } } : {}),
  };
}

/** What the add-on's Qualify group needs to know of the workspace's pipeline. */
export function pipelineInfo(pipeline: Pipeline | undefined): PipelineInfo {
  if (!pipeline) return { configured: false, steps: [], deliverTo: [], notifyTo: [], minScore: null };
  const { deliver, notify, qualify } = pipeline.config;
  return {
    configured: true,
    steps: pipeline.steps,
    deliverTo: [...(deliver?.hubspot ? (['hubspot'] as const) : []), ...(deliver?.webhook ? (['webhook'] as const) : [])],
    notifyTo: [...(notify?.slack ? (['slack'] as const) : []), ...(notify?.webhook ? (['webhook'] as const) : [])],
    minScore: qualify?.minScore ?? null,
  };
}
