import type { EntryKind } from '../journal.js';
import { jsonText } from '../jsonText.js';

interface LeasedRow {
  jobId: string;
  seq: number;
  /** The lease holder: if the lease expired and another worker took the row, the entry writes nothing, so a row is never finished twice. */
  workerId: string;
  state: unknown;
  at: number;
}

export interface RowCompletion extends LeasedRow {
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
}

// Checkpoints travel as JSON strings: SQLite stores them as they are instead of parsing and re-serialising each.

/** A row's end: its status, checkpoint and error, and the lease let go. */
export const completedRows: EntryKind<RowCompletion> = {
  statements(entries) {
    const batch = jsonText(entries.map((r) => [r.jobId, r.seq, r.workerId, jsonText(r.state), r.at, r.status, r.errorCode, r.errorMessage]));
    return [
      {
        sql: `UPDATE rows SET status = j.value ->> 5, state = j.value ->> 3, error_code = j.value ->> 6, error_message = j.value ->> 7,
                locked_by = NULL, locked_until = NULL, updated_at = j.value ->> 4
              FROM json_each(?) j
              WHERE rows.job_id = j.value ->> 0 AND rows.seq = j.value ->> 1 AND rows.locked_by = j.value ->> 2 AND rows.status = 'running'`,
        args: [batch],
      },
    ];
  },
};

export interface RowRelease extends LeasedRow {
  runAt: number;
  /** A retry scheduled after a failure counts as an attempt; a row handed back at shutdown or cancel does not. */
  countAttempt: boolean;
}

/** Hands rows back to the queue to run again at their `runAt`, keeping their checkpoints. */
export const releasedRows: EntryKind<RowRelease> = {
  statements(entries) {
    const batch = jsonText(entries.map((r) => [r.jobId, r.seq, r.workerId, jsonText(r.state), r.at, r.runAt, r.countAttempt ? 1 : 0]));
    return [
      {
        sql: `UPDATE rows SET status = 'pending', state = j.value ->> 3, run_at = j.value ->> 5, attempts = attempts + (j.value ->> 6),
                locked_by = NULL, locked_until = NULL, updated_at = j.value ->> 4
              FROM json_each(?) j
              WHERE rows.job_id = j.value ->> 0 AND rows.seq = j.value ->> 1 AND rows.locked_by = j.value ->> 2 AND rows.status = 'running'`,
        args: [batch],
      },
    ];
  },
};
