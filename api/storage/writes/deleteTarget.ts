import { eq } from 'drizzle-orm';
import type { Db } from '../db.js';
import { sheetTargets } from '../schema/index.js';

/** Removes a target recorded for a job that was not created after all (an idempotent repeat answered with an earlier job). */
export async function deleteTarget(db: Db, jobId: string): Promise<void> {
  await db.delete(sheetTargets).where(eq(sheetTargets.jobId, jobId));
}
