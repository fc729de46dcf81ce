import { eq } from 'drizzle-orm';
import type { Db } from '../db.js';
import { jobs } from '../schema/index.js';
import type { JobRecord } from './types.js';

export async function activeJobs(db: Db): Promise<JobRecord[]> {
  return db.select().from(jobs).where(eq(jobs.status, 'running')).orderBy(jobs.createdAt);
}
