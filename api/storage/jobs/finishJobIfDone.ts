import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';

/** Marks a running job done once no row of it is pending or running. Returns whether it did. */
export async function finishJobIfDone(db: Db, jobId: string, now: number): Promise<boolean> {
  const res = await db.run(sql`
    UPDATE jobs SET status = 'done', finished_at = ${now}
    WHERE id = ${jobId} AND status = 'running'
      AND NOT EXISTS (SELECT 1 FROM rows WHERE job_id = ${jobId} AND status IN ('pending', 'running'))`);
  return res.rowsAffected > 0;
}
