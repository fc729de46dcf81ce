import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';

/**
 * Rows of a job not yet anchored in the sheet, in submission order, whatever
 * their status. Anchoring goes in sequence order, so the anchored rows are
 * always the prefix up to the highest anchored seq: a range read, not a scan.
 */
export async function unanchoredRows(db: Db, jobId: string, limit: number): Promise<{ seq: number; key: string }[]> {
  return db.all<{ seq: number; key: string }>(sql`
    SELECT seq, key FROM rows
    WHERE job_id = ${jobId} AND seq > (SELECT coalesce(max(seq), -1) FROM row_writes WHERE job_id = ${jobId})
    ORDER BY seq LIMIT ${limit}`);
}
