import { and, eq } from 'drizzle-orm';
import type { Db } from '../db.js';
import { jobs } from '../schema/index.js';
import type { JobRecord } from './types.js';

/** A job of this workspace; another workspace's job is as absent as a job that never was. */
export async function findJob(db: Db, workspaceId: string, jobId: string): Promise<JobRecord | undefined> {
  return db
    .select()
    .from(jobs)
    .where(and(eq(jobs.id, jobId), eq(jobs.workspaceId, workspaceId)))
    .get();
}
