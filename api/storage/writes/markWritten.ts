import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';

/**
 * Records the versions Google accepted. A row finished again since it was
 * read keeps a newer `updated_at`, so it stays pending and is written again.
 */
export async function markWritten(db: Db, jobId: string, written: { seq: number; version: number }[]): Promise<void> {
  if (written.length === 0) return;
  await db.run(sql`
    UPDATE row_writes SET written_version = j.value ->> '$.version'
    FROM json_each(${JSON.stringify(written)}) j
    WHERE row_writes.job_id = ${jobId} AND row_writes.seq = j.value ->> '$.seq'`);
}
