import { eq, isNull, lt, or } from 'drizzle-orm';
import type { Db } from '../db.js';
import { jobs, sheetTargets } from '../schema/index.js';
import type { ActiveTarget } from './types.js';

/**
 * Targets with writing left to do: their job is running, or it stopped after
 * the target last settled (finished, cancelled, or retried and finished again).
 * A target whose job row does not exist (creation failed half-way) never shows.
 */
export async function activeTargets(db: Db): Promise<ActiveTarget[]> {
  const rows = await db
    .select({ target: sheetTargets, jobStatus: jobs.status, fields: jobs.fields, jobFinishedAt: jobs.finishedAt, jobCreatedAt: jobs.createdAt })
    .from(sheetTargets)
    .innerJoin(jobs, eq(jobs.id, sheetTargets.jobId))
    .where(or(eq(jobs.status, 'running'), isNull(sheetTargets.settledAt), lt(sheetTargets.settledAt, jobs.finishedAt)))
    .orderBy(sheetTargets.createdAt);
  return rows.map((r) => ({ ...r.target, jobStatus: r.jobStatus, fields: r.fields, jobFinishedAt: r.jobFinishedAt, jobCreatedAt: r.jobCreatedAt }));
}
