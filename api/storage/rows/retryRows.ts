import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';
import { jsonText } from '../jsonText.js';

/**
 * Puts flagged rows (failed, budget exhausted) back in the queue and the job
 * back to running. Providers that failed are forgotten so they are asked
 * again; answers already bought stay in the checkpoint and the cache.
 */
export async function retryRows(db: Db, jobId: string, keys: string[] | undefined, now: number): Promise<number> {
  const keyFilter = keys ? sql`AND key IN (SELECT value FROM json_each(${jsonText(keys)}))` : sql``;
  const [res] = await db.batch([
    db.run(sql`
      UPDATE rows SET status = 'pending', run_at = ${now}, attempts = 0, error_code = NULL, error_message = NULL,
        state = CASE WHEN state IS NULL THEN NULL ELSE json_set(state, '$.failed', json('{}'), '$.attempts', json('{}')) END,
        updated_at = ${now}
      WHERE job_id = ${jobId} AND status IN ('failed', 'budget_exhausted') ${keyFilter}`),
    db.run(sql`
      UPDATE jobs SET status = 'running', finished_at = NULL
      WHERE id = ${jobId} AND (status = 'cancelled' OR EXISTS (SELECT 1 FROM rows WHERE job_id = ${jobId} AND status = 'pending'))`),
  ]);
  return res.rowsAffected;
}
