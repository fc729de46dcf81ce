import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * The journal of provider requests: every figure on the dashboard and every learned order is derived from it.
 *
 * A call's cost is booked on its job by the trigger `calls_book_job_cost` (migration 0002, which drizzle-kit
 * does not model): it fires only for a call really inserted, so a journal commit sent again after a network
 * error, whose calls are already in (same `call_id`), books nothing twice.
 */
export const calls = sqliteTable(
  'calls',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Made when the call is journaled, so a commit tried again inserts it once. Null on calls from before 0002. */
    callId: text('call_id'),
    workspaceId: text('workspace_id').notNull(),
    providerId: text('provider_id').notNull(),
    jobId: text('job_id'),
    segment: text('segment').notNull(),
    outcome: text('outcome', { enum: ['match', 'no_match', 'rate_limited', 'transient', 'permanent'] }).notNull(),
    httpStatus: integer('http_status'),
    latencyMs: real('latency_ms').notNull(),
    costUsd: real('cost_usd').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [index('calls_ws_at').on(t.workspaceId, t.at), index('calls_job').on(t.jobId), uniqueIndex('calls_call_id').on(t.callId)],
);

/** Cache hits counted per day: a cached rerun of 100k rows must not write 100k journal rows. */
export const cacheHits = sqliteTable(
  'cache_hits',
  {
    workspaceId: text('workspace_id').notNull(),
    providerId: text('provider_id').notNull(),
    jobId: text('job_id').notNull(),
    day: integer('day').notNull(),
    hits: integer('hits').notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.providerId, t.jobId, t.day] })],
);
