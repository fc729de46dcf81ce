import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';
import { jsonText } from '../jsonText.js';

/** Rows whose sheet row was deleted: their anchor is gone, so they are never written anywhere. */
export async function markOrphaned(db: Db, jobId: string, seqs: number[]): Promise<void> {
  if (seqs.length === 0) return;
  await db.run(sql`
    UPDATE row_writes SET orphaned = 1
    WHERE job_id = ${jobId} AND seq IN (SELECT value FROM json_each(${jsonText(seqs)}))`);
}
