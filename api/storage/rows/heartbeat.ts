import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';

/** Extends every lease this worker holds on the given jobs' rows. */
export async function heartbeat(db: Db, jobIds: string[], workerId: string, lockedUntil: number): Promise<void> {
  if (jobIds.length === 0) return;
  await db.run(sql`
    UPDATE rows SET locked_until = ${lockedUntil}
    WHERE job_id IN (${sql.join(jobIds.map((id) => sql`${id}`), sql`, `)}) AND status = 'running' AND locked_by = ${workerId}`);
}
