import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { LeadStepName, StepOutcome } from '../../../shared/index.js';
import { json } from './json.js';

/**
 * Who a lead is, for dedup: the first run of each identity (an email, else a
 * domain and a name) in a workspace. A later run of the same identity within
 * the pipeline's dedupDays answers with this one's result; after it, the
 * later run takes the entry over.
 */
export const leadIdentities = sqliteTable(
  'lead_identities',
  {
    workspaceId: text('workspace_id').notNull(),
    identity: text('identity').notNull(),
    jobId: text('job_id').notNull(),
    seq: integer('seq').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.identity] })],
);

/**
 * Round-robin turns of each routing rule. A lead's turn is the rule's next
 * number, taken once: a run that crashed after taking it finds it again, so
 * no owner is skipped or given two in a row by a crash. The primary key makes
 * two instances that race for one number fail one of them, which takes the next.
 */
export const routeTurns = sqliteTable(
  'route_turns',
  {
    workspaceId: text('workspace_id').notNull(),
    rule: text('rule').notNull(),
    turn: integer('turn').notNull(),
    jobId: text('job_id').notNull(),
    seq: integer('seq').notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.rule, t.turn] }), uniqueIndex('route_turns_lead').on(t.jobId, t.seq, t.rule)],
);

/** The audit journal: every attempt of every step of every lead's run. Append-only. */
export const leadSteps = sqliteTable(
  'lead_steps',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    jobId: text('job_id').notNull(),
    seq: integer('seq').notNull(),
    step: text('step').$type<LeadStepName>().notNull(),
    attempt: integer('attempt').notNull(),
    outcome: text('outcome').$type<StepOutcome>().notNull(),
    at: integer('at').notNull(),
    durationMs: real('duration_ms').notNull(),
    costUsd: real('cost_usd').notNull(),
    by: text('by'),
    output: json<unknown>('output'),
    judgement: integer('judgement', { mode: 'boolean' }).notNull().default(false),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
  },
  (t) => [index('lead_steps_run').on(t.jobId, t.seq), index('lead_steps_at').on(t.at)],
);

/**
 * The outbox of external effects (a CRM write, a message): one per lead, step
 * and target, its id the receiver's idempotency key. Invariant: an effect is
 * `sending` (with a lease) from before its request leaves until its answer is
 * recorded, so after a crash one found `sending` with its lease run out is
 * known to be in doubt, and each target settles that its own way.
 */
export const effects = sqliteTable(
  'effects',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    /** `hubspot`, `slack`, `deliver-webhook`, `notify-webhook`. */
    target: text('target').notNull(),
    jobId: text('job_id').notNull(),
    seq: integer('seq').notNull(),
    payload: json<unknown>('payload').notNull(),
    /** 1 for a lead someone waits on (a form's): sent ahead of a bulk import's, whose backlog may be long. */
    priority: integer('priority').notNull().default(0),
    status: text('status', { enum: ['pending', 'sending', 'done', 'failed'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAt: integer('next_at').notNull(),
    lockedBy: text('locked_by'),
    lockedUntil: integer('locked_until'),
    /** What the receiver answered (a CRM record id), or why it failed. */
    result: json<unknown>('result'),
    errorMessage: text('error_message'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('effects_due').on(t.target, t.status, t.nextAt), index('effects_run').on(t.jobId, t.seq)],
);

/** A lead run's job-level settings: where its leads came from and whether its effects run. */
export interface JobPipeline {
  source: string;
  deliver: boolean;
  notify: boolean;
}
