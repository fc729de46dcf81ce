import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db.js';
import { rows } from '../schema/index.js';

export interface RowRef {
  jobId: string;
  seq: number;
}

const heldBy = (ref: RowRef, workerId: string) =>
  and(eq(rows.jobId, ref.jobId), eq(rows.seq, ref.seq), eq(rows.lockedBy, workerId), eq(rows.status, 'running'));

/**
 * Finishing a row needs the lease: if it expired and another worker took the
 * row, this writes nothing, so a row is never finished twice.
 */
export function completeRowStatement(
  db: Db,
  ref: RowRef,
  workerId: string,
  done: { status: string; state: unknown; errorCode: string | null; errorMessage: string | null },
  now: number,
) {
  return db
    .update(rows)
    .set({ ...done, lockedBy: null, lockedUntil: null, updatedAt: now })
    .where(heldBy(ref, workerId));
}

/** Hands a row back to the queue to run again at `runAt`, keeping its checkpoint. */
export function releaseRowStatement(db: Db, ref: RowRef, workerId: string, state: unknown, runAt: number, countAttempt: boolean, now: number) {
  return db
    .update(rows)
    .set({
      status: 'pending',
      state,
      runAt,
      attempts: countAttempt ? sql`${rows.attempts} + 1` : rows.attempts,
      lockedBy: null,
      lockedUntil: null,
      updatedAt: now,
    })
    .where(heldBy(ref, workerId));
}
