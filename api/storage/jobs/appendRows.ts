import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db.js';
import { jobs } from '../schema/index.js';
import { insertRowsStatements } from './insertRows.js';
import type { NewRow } from './types.js';

/**
 * Appends a batch of rows and puts a finished job back to running. The
 * sequence range is reserved and the rows inserted in one transaction, so
 * concurrent appends never share a sequence number.
 */
export async function appendRows(db: Db, jobId: string, newRows: NewRow[], now: number): Promise<void> {
  await db.transaction(async (tx) => {
    const job = await tx
      .update(jobs)
      .set({ nextSeq: sql`${jobs.nextSeq} + ${newRows.length}` })
      .where(eq(jobs.id, jobId))
      .returning({ nextSeq: jobs.nextSeq, status: jobs.status })
      .get();
    if (!job) throw new Error(`job ${jobId} vanished`);
    for (const stmt of insertRowsStatements(tx as unknown as Db, jobId, job.nextSeq - newRows.length, newRows, now)) await stmt;
    if (job.status === 'done') await tx.update(jobs).set({ status: 'running', finishedAt: null }).where(eq(jobs.id, jobId));
  });
}
