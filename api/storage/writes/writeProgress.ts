import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';
import { FINISHED } from './finished.js';

export interface WriteCounts {
  written: number;
  pendingWrite: number;
  orphaned: number;
}

/** Finished rows by write state: written at their current version, waiting (anchored or not), or orphaned. */
export async function writeProgress(db: Db, jobId: string): Promise<WriteCounts> {
  const [row] = await db.all<WriteCounts>(sql`
    SELECT
      coalesce(sum(w.orphaned = 0 AND w.written_version = r.updated_at), 0) AS written,
      coalesce(sum(w.seq IS NULL OR (w.orphaned = 0 AND (w.written_version IS NULL OR w.written_version <> r.updated_at))), 0) AS pendingWrite,
      coalesce(sum(w.orphaned = 1), 0) AS orphaned
    FROM rows r LEFT JOIN row_writes w ON w.job_id = r.job_id AND w.seq = r.seq
    WHERE r.job_id = ${jobId} AND r.status IN ${FINISHED}`);
  return row ?? { written: 0, pendingWrite: 0, orphaned: 0 };
}
