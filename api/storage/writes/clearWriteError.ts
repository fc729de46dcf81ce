import { eq } from 'drizzle-orm';
import type { Db } from '../db.js';
import { sheetTargets } from '../schema/index.js';

/** Writing went through again: the last error no longer describes the job. */
export async function clearWriteError(db: Db, jobId: string): Promise<void> {
  await db.update(sheetTargets).set({ lastErrorCode: null, lastErrorMessage: null, lastErrorAt: null }).where(eq(sheetTargets.jobId, jobId));
}
