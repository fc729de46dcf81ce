import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';
import { FINISHED } from './finished.js';
import type { PendingWrite } from './types.js';

/** Anchored, finished rows whose current version Google has not accepted yet; orphans never. */
export async function pendingWrites(db: Db, jobId: string, limit: number): Promise<PendingWrite[]> {
  const rows = await db.all<Omit<PendingWrite, 'state'> & { state: string | null }>(sql`
    SELECT r.seq AS seq, r.key AS key, r.status AS status, r.state AS state, r.error_code AS errorCode,
      r.error_message AS errorMessage, r.updated_at AS version
    FROM rows r JOIN row_writes w ON w.job_id = r.job_id AND w.seq = r.seq
    WHERE r.job_id = ${jobId} AND r.status IN ${FINISHED} AND w.orphaned = 0
      AND (w.written_version IS NULL OR w.written_version <> r.updated_at)
    ORDER BY r.seq LIMIT ${limit}`);
  return rows.map((r) => ({ ...r, state: r.state === null ? null : JSON.parse(r.state) }));
}
