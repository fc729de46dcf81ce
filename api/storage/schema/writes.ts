import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { json } from './json.js';

/** Where resolved columns sit, learned at the first contact with the sheet so a restart never adds a column twice. 0-based. */
export interface SheetLayout {
  sheetId: number;
  fields: Record<string, number>;
  status: number;
  /** Columns a row write spans: one past the rightmost written column. */
  width: number;
  rowCount: number;
}

/**
 * A job's Google Sheets target. An OAuth token is here only sealed
 * (AES-256-GCM under CASCADE_TOKEN_KEY, api/sheets/tokenCipher.ts), so
 * whichever instance writes can use it; without that key it lives in the
 * memory of the instance that received it, and after a restart writing
 * waits for a fresh one.
 *
 * Invariant: at most one instance writes a target at a time, the holder of
 * its writer lease (`writer_id` until `writer_until`, on the database's
 * clock). A lease is taken when it has no holder, ran out, or its holder is
 * no longer a member of the cluster (declared dead, or stopped).
 */
export const sheetTargets = sqliteTable('sheet_targets', {
  jobId: text('job_id').primaryKey(),
  workspaceId: text('workspace_id').notNull(),
  spreadsheetId: text('spreadsheet_id').notNull(),
  sheetName: text('sheet_name').notNull(),
  headerRow: integer('header_row').notNull(),
  columns: json<Record<string, string>>('columns').notNull(),
  statusColumn: text('status_column').notNull(),
  credential: text('credential', { enum: ['oauth', 'service_account'] }).notNull(),
  /** An opaque id of the Google user, so their jobs share that user's quota. */
  userKey: text('user_key'),
  layout: json<SheetLayout>('layout'),
  /** Set when writing cannot go on without the user (tab deleted, access removed); cleared by a resume. */
  paused: integer('paused', { mode: 'boolean' }).notNull().default(false),
  lastErrorCode: text('last_error_code'),
  lastErrorMessage: text('last_error_message'),
  lastErrorAt: integer('last_error_at'),
  /** When every finished row was written and the dashboard refreshed; the target is idle until its job runs again. */
  settledAt: integer('settled_at'),
  createdAt: integer('created_at').notNull(),
  /** The user's OAuth token, sealed (never plain text); null without CASCADE_TOKEN_KEY, or once Google refused it. */
  token: text('token'),
  /** The member (engine worker id) whose SheetWriter holds the lease, and until when (database clock, ms). */
  writerId: text('writer_id'),
  writerUntil: integer('writer_until'),
  /**
   * The rows of the write request being sent ([{seq, version}]), set under the
   * lease before it leaves and cleared once Google's answer is recorded: a
   * writer that takes the target over with this set reads those rows back
   * rather than writing them again.
   */
  inDoubt: json<{ seq: number; version: number }[]>('in_doubt'),
});

/**
 * Write state of one row of a sheet job. Invariants: a row is anchored (its
 * developer metadata exists in the sheet) before it is ever written;
 * `written_version` is the `rows.updated_at` of the version Google accepted,
 * so a row finished again after a retry is pending again; an orphaned row's
 * sheet row was deleted and it is never written.
 */
export const rowWrites = sqliteTable(
  'row_writes',
  {
    jobId: text('job_id').notNull(),
    seq: integer('seq').notNull(),
    anchoredAt: integer('anchored_at').notNull(),
    writtenVersion: integer('written_version'),
    orphaned: integer('orphaned', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.seq] })],
);
