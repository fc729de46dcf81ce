import { ENRICH_FIELDS, isLeadField, type EnrichField, type Field, type LeadField, type LeadStepName } from '../../../shared/index.js';
import type { PipelineConfig, Predicate } from '../../config/pipeline.js';
import type { Config } from '../../config/schema.js';
import type { Qualifier } from '../../providers/llm/qualifier.js';
import type { Provider } from '../../providers/types.js';

/** A workspace's pipeline as the engine runs it: its config, its qualifier, and what it reads and makes. */
export interface Pipeline {
  /** Its key in the config (a workspace id, or "*"): effect targets are named by it, each pipeline having its own. */
  key: string;
  config: PipelineConfig;
  qualifier?: Qualifier;
  /** Steps configured, in run order (dedup and enrich always are). */
  steps: LeadStepName[];
  /** The lead fields its steps make. */
  outputs: LeadField[];
  /** A lead's enrichment fields: those its job asks for and those the pipeline reads, each one some data provider supplies. */
  enrichFields(asked: readonly Field[]): EnrichField[];
}

/** Fields a predicate list reads (the score is not a field). */
const readBy = (preds: readonly Predicate[]) => preds.flatMap((p) => (p.field === 'score' || isLeadField(p.field) ? [] : [p.field as EnrichField]));

export function buildPipeline(key: string, config: PipelineConfig, providers: readonly Provider[], qualifier: Qualifier | undefined): Pipeline {
  const suppliable = new Set(providers.filter((p) => !p.predictive).flatMap((p) => p.fields));
  const reads = new Set<EnrichField>([
    ...config.fields,
    ...readBy(config.score?.rules.map((r) => r.if) ?? []),
    ...readBy(config.route?.rules.flatMap((r) => r.if) ?? []),
  ]);
  const steps: LeadStepName[] = ['dedup', 'enrich'];
  const outputs: LeadField[] = ['lead.duplicateOf'];
  const add = (configured: unknown, step: LeadStepName, ...made: LeadField[]) => {
    if (!configured) return;
    steps.push(step);
    outputs.push(...made);
  };
  add(config.score, 'score', 'lead.score');
  add(config.qualify, 'qualify', 'lead.qualified', 'lead.reason');
  add(config.route, 'route', 'lead.owner', 'lead.priority');
  add(config.deliver?.hubspot ?? config.deliver?.webhook, 'deliver', 'lead.crmId');
  add(config.notify?.slack ?? config.notify?.webhook, 'notify');
  return {
    key,
    config,
    qualifier,
    steps,
    outputs,
    enrichFields: (asked) => ENRICH_FIELDS.filter((f) => suppliable.has(f) && (asked.includes(f) || reads.has(f))),
  };
}

/** The pipeline of each workspace: its own, else the "*" one, else none (plain enrichment). */
export function pipelinesOf(config: Config, build: (key: string, p: PipelineConfig) => Pipeline): (workspace: string) => Pipeline | undefined {
  const built = new Map(Object.entries(config.pipelines).map(([ws, p]) => [ws, build(ws, p)]));
  return (workspace) => built.get(workspace) ?? built.get('*');
}

/** The outbox target of one of a pipeline's effects: each pipeline has its own CRM, channel and webhooks. */
export const targetOf = (pipeline: Pick<Pipeline, 'key'>, kind: EffectKind) => `${pipeline.key}/${kind}`;
export type EffectKind = 'hubspot' | 'deliver-webhook' | 'slack' | 'notify-webhook';

/** Whether a job's leads come from a real-time source of its workspace's pipeline (a form): someone waits on each. */
export function isRealtimeJob(
  pipelineOf: (workspace: string) => Pipeline | undefined,
  job: { workspaceId: string; pipeline: { source: string } | null },
): boolean {
  return job.pipeline !== null && pipelineOf(job.workspaceId)?.config.realtimeSources.includes(job.pipeline.source) === true;
}
