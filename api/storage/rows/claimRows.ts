import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';

export interface ClaimedRow {
  jobId: string;
  seq: number;
  key: string;
  input: unknown;
  state: unknown;
  attempts: number;
}

/** Leases up to `limit` due rows of a job to `workerId` until `lockedUntil`. */
export async function claimRows(db: Db, jobId: string, limit: number, workerId: string, lockedUntil: number, now: number): Promise<ClaimedRow[]> {
  const res = await db.all<{ seq: number; key: string; input: string; state: string | null; attempts: number }>(sql`
    UPDATE rows SET status = 'running', locked_by = ${workerId}, locked_until = ${lockedUntil}, updated_at = ${now}
    WHERE job_id = ${jobId} AND seq IN (
      SELECT seq FROM rows WHERE job_id = ${jobId} AND status = 'pending' AND run_at <= ${now} LIMIT ${limit})
    RETURNING seq, key, input, state, attempts`);
  return res.map((r) => ({
    jobId,
    seq: r.seq,
    key: r.key,
    input: JSON.parse(r.input),
    state: r.state === null ? null : JSON.parse(r.state),
    attempts: r.attempts,
  }));
}
