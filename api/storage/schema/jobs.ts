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
    /**
     * How old a cached answer may be and still serve the job's rows (the
     * cache's freshness when it was made): a row's claim holds a stale
     * answer as one to buy (migration 0008). Null on jobs from before: any.
     */
    freshnessMs: integer('freshness_ms'),
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
    /**
     * The answers the row may buy ([provider id, cache input key] pairs), as
     * the cache lacked them at submission; null when it needs none. See
     * heldPurchases.
     */
    purchases: json<PurchaseKey[]>('purchases'),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.seq] }), uniqueIndex('rows_key').on(t.jobId, t.key), index('rows_claim').on(t.jobId, t.status, t.runAt)],
);

/** A provider's cache key for a row: what buying one answer is. */
export type PurchaseKey = [providerId: string, inputKey: string];

/**
 * The answers about to be bought, and who holds each: what keeps two
 * instances from buying one answer at the same moment. Two kinds of entry:
 * - a running row's (`job_id`, `seq`; no expiry), kept by triggers
 *   (migration 0008), never written by the code, so it holds at every
 *   transition: a row that starts running holds those of its purchases the
 *   cache lacks, under its lease holder; a row that stops running lets go of
 *   the rest. A claim skips a row any of whose purchases another worker
 *   holds: the row waits, pending, and then finds the answer in the cache.
 * - a lookup's (real-time, outside any job: `job_id` '', `seq` 0; one per
 *   key), taken and let go by purchaseHolds, and running out at
 *   `expires_at` (the database's clock) should its holder stall.
 * Either way an answer stored for a key ends every hold on it, and a member
 * declared dead or stopped loses all of its holds. Invariant: no entry's key
 * is in the cache.
 */
export const heldPurchases = sqliteTable(
  'held_purchases',
  {
    workspaceId: text('workspace_id').notNull(),
    providerId: text('provider_id').notNull(),
    inputKey: text('input_key').notNull(),
    jobId: text('job_id').notNull(),
    seq: integer('seq').notNull(),
    worker: text('worker').notNull(),
    expiresAt: integer('expires_at'),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.providerId, t.inputKey, t.jobId, t.seq] }), index('held_purchases_row').on(t.jobId, t.seq)],
);
