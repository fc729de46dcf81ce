import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';

/** Rows of a job not yet anchored in the sheet, in submission order, whatever their status. */
export async function unanchoredRows(db: Db, jobId: string, limit: number): Promise<{ seq: number; key: string }[]> {
  return db.all<{ seq: number; key: string }>(sql`
    SELECT r.seq AS seq, r.key AS key FROM rows r
    WHERE r.job_id = ${jobId} AND NOT EXISTS (SELECT 1 FROM row_writes w WHERE w.job_id = r.job_id AND w.seq = r.seq)
    ORDER BY r.seq LIMIT ${limit}`);
}
