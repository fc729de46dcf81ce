import { eq } from 'drizzle-orm';
import type { Db } from '../db.js';
import { jobs } from '../schema/index.js';

export async function setJobBudget(db: Db, jobId: string, maxCostUsd: number): Promise<void> {
  await db.update(jobs).set({ maxCostUsd }).where(eq(jobs.id, jobId));
}
