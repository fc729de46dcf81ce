import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db } from '../db.js';
import { rows } from '../schema/index.js';

export async function listResults(db: Db, jobId: string, after: number, limit: number, status?: string) {
  return db
    .select({ seq: rows.seq, key: rows.key, status: rows.status, state: rows.state, errorCode: rows.errorCode, errorMessage: rows.errorMessage })
    .from(rows)
    .where(and(eq(rows.jobId, jobId), gt(rows.seq, after), status ? eq(rows.status, status) : undefined))
    .orderBy(asc(rows.seq))
    .limit(limit);
}
