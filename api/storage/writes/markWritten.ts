import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';
import { jsonText } from '../jsonText.js';

/**
 * Records the versions Google accepted. A row finished again since it was
 * read keeps a newer `updated_at`, so it stays pending and is written again.
 * Written as an upsert driven by the list, so each row is one primary-key
 * lookup (an UPDATE ... FROM json_each would scan the job's rows per entry).
 * Every listed row is anchored already: the insert branch never runs.
 */
export async function markWritten(db: Db, jobId: string, written: { seq: number; version: number }[]): Promise<void> {
  if (written.length === 0) return;
  await db.run(sql`
    INSERT INTO row_writes (job_id, seq, anchored_at, written_version, orphaned)
    SELECT ${jobId}, value ->> '$.seq', 0, value ->> '$.version', 0 FROM json_each(${jsonText(written)}) WHERE true
    ON CONFLICT (job_id, seq) DO UPDATE SET written_version = excluded.written_version`);
}
