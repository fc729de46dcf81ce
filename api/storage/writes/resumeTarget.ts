import { eq } from 'drizzle-orm';
import type { Db } from '../db.js';
import { sheetTargets } from '../schema/index.js';

/** Lets writing go on (fresh token, job resumed). The layout is checked again, in case the tab changed while paused. */
export async function resumeTarget(db: Db, jobId: string): Promise<void> {
  await db.update(sheetTargets).set({ paused: false, settledAt: null }).where(eq(sheetTargets.jobId, jobId));
}
