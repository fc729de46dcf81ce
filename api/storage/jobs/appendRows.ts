import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';
import { insertRowsStatements } from './insertRows.js';
import type { NewRow } from './types.js';

/**
 * Appends a batch of rows and puts a finished job back to running, in one
 * batch (one transaction on the client's own connection: an interactive
 * transaction would hand that connection away and leave the client on a new
 * one without our pragmas).
 */
export async function appendRows(db: Db, jobId: string, newRows: NewRow[], now: number): Promise<void> {
  await db.batch([
    ...insertRowsStatements(db, jobId, newRows, now),
    db.run(sql`
      UPDATE jobs SET status = CASE status WHEN 'done' THEN 'running' ELSE status END,
        finished_at = CASE status WHEN 'done' THEN NULL ELSE finished_at END
      WHERE id = ${jobId}`),
  ]);
}
