import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';
import type { NewRow } from './types.js';
import { jsonText } from '../jsonText.js';
import { causeChain } from '../../errors.js';

/**
 * Statements appending rows after the job's last sequence number, for the
 * caller to run in one batch with whatever must commit with them. The rows
 * travel as one JSON array, so five thousand rows are one statement to
 * prepare; sequence numbers are read inside the transaction, so concurrent
 * appends never share one.
 */
export function insertRowsStatements(db: Db, jobId: string, newRows: NewRow[], now: number) {
  // Input and state go as strings: SQLite takes them as they are instead of parsing and re-serialising each.
  const batch = jsonText(
    newRows.map((r) => [r.key, jsonText(r.input), r.status, r.errorCode ?? null, r.errorMessage ?? null, r.state ? jsonText(r.state) : null]),
  );
  return [
    db.run(sql`
      INSERT INTO rows (job_id, seq, key, input, status, error_code, error_message, state, attempts, run_at, updated_at)
      SELECT ${jobId}, (SELECT next_seq FROM jobs WHERE id = ${jobId}) + j.key,
        j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, 0, ${now}, ${now}
      FROM json_each(${batch}) j`),
    db.run(sql`UPDATE jobs SET next_seq = next_seq + ${newRows.length} WHERE id = ${jobId}`),
  ] as const;
}

/** SQLite's result codes for a constraint: SQLITE_CONSTRAINT, and its extended form for a UNIQUE index. */
const SQLITE_CONSTRAINT = 19;
const SQLITE_CONSTRAINT_UNIQUE = 2067;

/**
 * Whether these statements may have been refused for a row key already in
 * the job, by the first SQLite result code down the cause chain (drizzle
 * wraps the driver's error), never by the message's text. The one UNIQUE
 * constraint they can break is `rows_key` (job_id, key): the primary key
 * (job_id, seq) is never the client's doing (sequence numbers are assigned
 * inside the transaction), so SQLITE_CONSTRAINT_PRIMARYKEY (1555) and the
 * other extended constraint codes are not this. The embedded file gives the
 * extended code; a remote libSQL server gives only SQLITE_CONSTRAINT, so
 * there the caller confirms by looking the keys up (appendRows).
 */
export function mayBeDuplicateRowKey(err: unknown): boolean {
  for (const e of causeChain(err)) {
    const { rawCode, code } = e as { rawCode?: unknown; code?: unknown };
    if (typeof rawCode === 'number') return rawCode === SQLITE_CONSTRAINT_UNIQUE || rawCode === SQLITE_CONSTRAINT;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT';
  }
  return false;
}
