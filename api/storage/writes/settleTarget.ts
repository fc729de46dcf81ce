import { eq } from 'drizzle-orm';
import type { Db } from '../db.js';
import { sheetTargets } from '../schema/index.js';

/** Every finished row is written and the dashboard is final: the writer leaves the target alone until its job runs again. */
export async function settleTarget(db: Db, jobId: string, now: number): Promise<void> {
  await db.update(sheetTargets).set({ settledAt: now, lastErrorCode: null, lastErrorMessage: null, lastErrorAt: null }).where(eq(sheetTargets.jobId, jobId));
}
