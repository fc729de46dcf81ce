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
 * A job's Google Sheets target. The Google credential is not here: an OAuth
 * token lives in memory only, so after a restart writing waits for a fresh one.
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
