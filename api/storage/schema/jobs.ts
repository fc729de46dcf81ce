import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { Field, RowInput, RowStatus } from '../../../shared/index.js';
import type { RowState } from '../../engine/rowState.js';
import { json } from './json.js';
import type { JobPipeline } from './leads.js';

export const jobs = sqliteTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    fields: json<Field[]>('fields').notNull(),
    status: text('status', { enum: ['running', 'done', 'cancelled'] }).notNull(),
    maxCostUsd: real('max_cost_usd'),
    /** Booked in the same transaction as the call journal entry that spent it. */
    costUsd: real('cost_usd').notNull().default(0),
    nextSeq: integer('next_seq').notNull().default(0),
    /** Set on jobs whose rows are leads run through the workspace's pipeline (sheet jobs asking lead.* fields, POST /v1/leads). */
    pipeline: json<JobPipeline>('pipeline'),
    idempotencyKey: text('idempotency_key'),
    bodyHash: text('body_hash'),
    createdAt: integer('created_at').notNull(),
    finishedAt: integer('finished_at'),
  },
  (t) => [uniqueIndex('jobs_idempotency').on(t.workspaceId, t.idempotencyKey), index('jobs_status').on(t.status)],
);

/**
 * One row of a job. Invariant: a row in status `running` has `locked_by` and
 * `locked_until`; only the holder of an unexpired lease may finish it, and a
 * lease past `locked_until` may be claimed by anyone (that is crash recovery).
 */
export const rows = sqliteTable(
  'rows',
  {
    jobId: text('job_id').notNull(),
    seq: integer('seq').notNull(),
    key: text('key').notNull(),
    input: json<RowInput>('input').notNull(),
    status: text('status').$type<RowStatus>().notNull(),
    /** Values, provenance and per-provider attempts so far: the row's checkpoint between claims. */
    state: json<RowState>('state'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    attempts: integer('attempts').notNull().default(0),
    runAt: integer('run_at').notNull(),
    lockedBy: text('locked_by'),
    lockedUntil: integer('locked_until'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.seq] }), uniqueIndex('rows_key').on(t.jobId, t.key), index('rows_claim').on(t.jobId, t.status, t.runAt)],
);
