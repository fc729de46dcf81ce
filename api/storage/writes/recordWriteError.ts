import { eq } from 'drizzle-orm';
import type { Db } from '../db.js';
import { sheetTargets } from '../schema/index.js';

/** The last thing that stopped a write; `paused` when only the user can unblock it (see resumeTarget). */
export async function recordWriteError(db: Db, jobId: string, error: { code: string; message: string; paused: boolean }, now: number): Promise<void> {
  await db
    .update(sheetTargets)
    .set({ lastErrorCode: error.code, lastErrorMessage: error.message, lastErrorAt: now, paused: error.paused })
    .where(eq(sheetTargets.jobId, jobId));
}
