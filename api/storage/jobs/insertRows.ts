import type { Db } from '../db.js';
import { rows } from '../schema/index.js';
import type { NewRow } from './types.js';

// SQLite binds at most 32,766 values per statement; 10 columns a row.
const CHUNK = 2000;

/** Statements inserting rows at sequence numbers from `firstSeq`; a caller runs them in its own transaction. */
export function insertRowsStatements(db: Db, jobId: string, firstSeq: number, newRows: NewRow[], now: number) {
  const stmts = [];
  for (let i = 0; i < newRows.length; i += CHUNK) {
    const values = newRows.slice(i, i + CHUNK).map((r, j) => ({
      jobId,
      seq: firstSeq + i + j,
      key: r.key,
      input: r.input,
      status: r.status,
      errorCode: r.status === 'invalid_input' ? 'invalid_input' : null,
      errorMessage: r.errorMessage ?? null,
      state: r.state ?? null,
      runAt: now,
      updatedAt: now,
    }));
    stmts.push(db.insert(rows).values(values));
  }
  return stmts;
}
