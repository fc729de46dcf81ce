import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';

/**
 * Rows whose lease ran out (their worker died, or lost the database long
 * enough) go back to pending. Their checkpointed state comes with them, so
 * what was already bought is not bought again.
 */
export async function reclaimExpired(db: Db, now: number): Promise<number> {
  const res = await db.run(sql`
    UPDATE rows SET status = 'pending', locked_by = NULL, locked_until = NULL, updated_at = ${now}
    WHERE status = 'running' AND locked_until < ${now}
      AND job_id IN (SELECT id FROM jobs WHERE status = 'running')`);
  return res.rowsAffected;
}
