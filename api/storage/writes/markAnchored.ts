import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';
import { jsonText } from '../jsonText.js';

/** Records that Google accepted these rows' developer metadata. */
export async function markAnchored(db: Db, jobId: string, seqs: number[], now: number): Promise<void> {
  if (seqs.length === 0) return;
  await db.run(sql`
    INSERT INTO row_writes (job_id, seq, anchored_at, orphaned)
    SELECT ${jobId}, value, ${now}, 0 FROM json_each(${jsonText(seqs)}) WHERE true
    ON CONFLICT (job_id, seq) DO NOTHING`);
}
