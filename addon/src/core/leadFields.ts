import {
  ENRICH_FIELDS,
  FIELDS,
  isLeadField,
  LEAD_FIELDS,
  type EnrichField,
  type Field,
  type LeadField,
  type LeadStepName,
  type PipelineInfo,
} from '../../../shared/index.js';

/**
 * The two kinds of field a sheet job may ask for: enrichment fields, which
 * providers supply and the estimate and `=CASCADE()` can price and look up,
 * and the lead pipeline's fields (`lead.*`), which its steps make after
 * enrichment. Only the first kind may go to /v1/estimate or /v1/enrich.
 */
export const enrichFieldsOf = (fields: readonly Field[]): EnrichField[] => fields.filter((f): f is EnrichField => !isLeadField(f));
export const leadFieldsOf = (fields: readonly Field[]): LeadField[] => fields.filter(isLeadField);
export const isEnrichField = (f: string): f is EnrichField => (ENRICH_FIELDS as readonly string[]).includes(f);

/** A workspace without a lead pipeline (or an API from before it). */
export const NO_PIPELINE: PipelineInfo = { configured: false, steps: [], deliverTo: [], notifyTo: [], minScore: null };

/** The step that makes each lead field: a field whose step the workspace has not configured stays empty. */
export const LEAD_FIELD_STEP: Record<LeadField, LeadStepName> = {
  'lead.score': 'score',
  'lead.qualified': 'qualify',
  'lead.reason': 'qualify',
  'lead.owner': 'route',
  'lead.priority': 'route',
  'lead.crmId': 'deliver',
  'lead.duplicateOf': 'dedup',
};

/** A model's judgement, not a found fact: wherever these show, they are marked so. */
export const JUDGEMENT_FIELDS: readonly LeadField[] = ['lead.qualified', 'lead.reason'];
export const isJudgementField = (f: string) => (JUDGEMENT_FIELDS as readonly string[]).includes(f);

export const STEP_LABELS: Record<LeadStepName, string> = {
  dedup: 'Dedup',
  enrich: 'Enrich',
  score: 'Score',
  qualify: 'Qualify',
  route: 'Route',
  deliver: 'Write to CRM',
  notify: 'Notify owner',
};

/** Steps whose output is a model's judgement. */
export const JUDGEMENT_STEPS: readonly LeadStepName[] = ['qualify'];

const TARGET_LABELS: Record<string, string> = { hubspot: 'HubSpot', webhook: 'webhook', slack: 'Slack' };
/** `['hubspot', 'webhook']` → `HubSpot/webhook`. */
export const targetsLabel = (targets: readonly string[]) => targets.map((t) => TARGET_LABELS[t] ?? t).join('/');

export interface QualifyField {
  field: LeadField;
  label: string;
  /** Made by a step this workspace's pipeline runs; otherwise the column would stay empty, so it is not offered. */
  available: boolean;
  step: LeadStepName;
  judgement: boolean;
}

/** The Qualify group's checkboxes: every lead field, labelled from the catalogue, each saying whether its step runs here. */
export function qualifyFields(info: Pick<PipelineInfo, 'steps'>): QualifyField[] {
  return LEAD_FIELDS.map((field) => ({
    field,
    label: FIELDS[field].label,
    step: LEAD_FIELD_STEP[field],
    available: info.steps.includes(LEAD_FIELD_STEP[field]),
    judgement: isJudgementField(field),
  }));
}

/** What the workspace's pipeline runs, in run order, on one line: `Score → Qualify (AI, score ≥ 40) → Route`. */
export function pipelineSteps(info: Pick<PipelineInfo, 'steps' | 'minScore'>): string {
  return info.steps
    .map((s) => {
      if (s !== 'qualify') return STEP_LABELS[s];
      const floor = info.minScore !== null && info.minScore > 0 && info.steps.includes('score') ? `, score ≥ ${info.minScore}` : '';
      return `${STEP_LABELS[s]} (AI${floor})`;
    })
    .join(' → ');
}
