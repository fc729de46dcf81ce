import { count, eq } from 'drizzle-orm';
import type { JobCounts, RowStatus } from '../../../shared/index.js';
import { RowStatusSchema } from '../../../shared/index.js';
import type { Db } from '../db.js';
import { rows } from '../schema/index.js';

export async function countRows(db: Db, jobId: string): Promise<JobCounts> {
  const counts = Object.fromEntries(['total', ...RowStatusSchema.options].map((s) => [s, 0])) as JobCounts;
  const grouped = await db.select({ status: rows.status, n: count() }).from(rows).where(eq(rows.jobId, jobId)).groupBy(rows.status);
  for (const g of grouped) {
    counts[g.status as RowStatus] = g.n;
    counts.total += g.n;
  }
  return counts;
}
