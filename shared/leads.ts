import { z } from 'zod';
import { LIMITS, RowInputSchema, RowKeySchema, RowStatusSchema } from './api.js';
import { RowFlagCodeSchema } from './errors.js';
import { EnrichFieldSchema, FieldValueSchema } from './fields.js';

/**
 * The lead pipeline's contract: a lead is one row of a job run through
 * checkpointed steps after its enrichment (api/engine/pipeline). Leads come
 * from a sheet job that asks for `lead.*` fields, or as events here.
 */

/** Where leads came from: `form`, `import`, `crm`, `clay`… Fairness and priority are per source. */
export const LeadSourceSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a source name: lowercase letters, digits, - and _, like form or crm');

export const LeadSubmissionSchema = z.object({
  /** The caller's own id for the lead (a form submission id); a number within the batch when absent. */
  key: RowKeySchema.optional(),
  input: RowInputSchema,
  /** Fields already enriched elsewhere (a Clay webhook, a CRM sync): used as found, never bought again. */
  data: z.partialRecord(EnrichFieldSchema, FieldValueSchema).optional(),
});

export const SubmitLeadsSchema = z
  .object({
    source: LeadSourceSchema,
    leads: z
      .array(LeadSubmissionSchema)
      .min(1)
      .max(LIMITS.rowsPerRequest, { message: `at most ${LIMITS.rowsPerRequest} leads per request` }),
    /** Enrichment fields wanted besides those the workspace's pipeline reads. */
    fields: z.array(EnrichFieldSchema).max(LIMITS.fieldsPerJob).default([]),
    /** Write qualified and unqualified leads to the CRM (the pipeline's deliver step). */
    deliver: z.boolean().default(true),
    /** Tell the owner of each qualified lead (the pipeline's notify step). */
    notify: z.boolean().default(true),
  })
  .meta({ id: 'SubmitLeads' });
export type SubmitLeads = z.input<typeof SubmitLeadsSchema>;

/** A lead's id: its job's id and its key, joined by the first dot (job ids hold none). */
export const LeadIdSchema = z.string().min(1).max(320);
export const leadId = (jobId: string, key: string) => `${jobId}.${key}`;
export function splitLeadId(id: string): { jobId: string; key: string } {
  const dot = id.indexOf('.');
  return dot < 0 ? { jobId: id, key: '' } : { jobId: id.slice(0, dot), key: id.slice(dot + 1) };
}

export const LeadsAcceptedSchema = z.object({ jobId: z.string(), leads: z.array(z.object({ id: z.string(), key: z.string() })) }).meta({ id: 'LeadsAccepted' });

/** A run's steps, in the order they run. Each is checkpointed: one that succeeded never runs again. */
export const LEAD_STEPS = ['dedup', 'enrich', 'score', 'qualify', 'route', 'deliver', 'notify'] as const;
export const LeadStepNameSchema = z.enum(LEAD_STEPS);
export type LeadStepName = z.infer<typeof LeadStepNameSchema>;

export const StepOutcomeSchema = z.enum(['done', 'skipped', 'failed']);
export type StepOutcome = z.infer<typeof StepOutcomeSchema>;

/** One attempt at one step, as the audit journal keeps it. */
export const StepAttemptSchema = z
  .object({
    step: LeadStepNameSchema,
    attempt: z.number().int(),
    outcome: StepOutcomeSchema,
    at: z.string(),
    durationMs: z.number(),
    costUsd: z.number(),
    /** Who did it: the model, the CRM, the webhook, the providers asked. */
    by: z.string().nullable(),
    /** What the step made, or `{ sha256, bytes }` for a large output. */
    output: z.unknown(),
    /** The output is a model's judgement, not a found fact. */
    judgement: z.boolean().optional(),
    error: z.object({ code: RowFlagCodeSchema, message: z.string() }).optional(),
  })
  .meta({ id: 'StepAttempt' });
export type StepAttempt = z.infer<typeof StepAttemptSchema>;

export const LeadRunSchema = z
  .object({
    id: z.string(),
    jobId: z.string(),
    key: z.string(),
    source: z.string(),
    status: RowStatusSchema,
    values: z.record(z.string(), FieldValueSchema),
    /** Each step's latest attempt, in run order; steps not reached yet are absent. */
    steps: z.array(StepAttemptSchema),
    /** Every attempt of every step, oldest first. */
    history: z.array(StepAttemptSchema),
    error: z.object({ code: RowFlagCodeSchema, message: z.string() }).optional(),
  })
  .meta({ id: 'LeadRun' });
export type LeadRun = z.infer<typeof LeadRunSchema>;

/** Failed runs to resume, each from the step that failed. Filters combine; none replays every failed run. */
export const ReplaySchema = z
  .object({
    source: LeadSourceSchema.optional(),
    step: LeadStepNameSchema.optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
  })
  .meta({ id: 'Replay' });

export const ReplayedSchema = z.object({ replayed: z.number().int() }).meta({ id: 'Replayed' });

/** What the workspace's pipeline does, for the add-on's Qualify group: which steps are configured and where effects go. */
export const PipelineInfoSchema = z
  .object({
    configured: z.boolean(),
    steps: z.array(LeadStepNameSchema),
    /** Where the deliver step writes (`hubspot`, `webhook`) and where notify tells (`slack`, `webhook`). */
    deliverTo: z.array(z.enum(['hubspot', 'webhook'])),
    notifyTo: z.array(z.enum(['slack', 'webhook'])),
    /** Leads scoring below this are not sent to the model. */
    minScore: z.number().nullable(),
  })
  .meta({ id: 'PipelineInfo' });
export type PipelineInfo = z.infer<typeof PipelineInfoSchema>;
