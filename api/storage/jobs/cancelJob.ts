import { and, eq } from 'drizzle-orm';
import type { Db } from '../db.js';
import { jobs } from '../schema/index.js';

export async function cancelJob(db: Db, jobId: string, now: number): Promise<void> {
  await db.update(jobs).set({ status: 'cancelled', finishedAt: now }).where(and(eq(jobs.id, jobId), eq(jobs.status, 'running')));
}
