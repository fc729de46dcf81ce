import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';
import { jsonText } from '../jsonText.js';
import { insertRowsStatements, mayBeDuplicateRowKey } from './insertRows.js';
import type { NewRow } from './types.js';

/** A key of the batch is already in the job, so none of the batch was stored. */
export class DuplicateRowKey extends Error {
  override name = 'DuplicateRowKey';

  constructor(
    readonly key: string,
    options: { cause: unknown },
  ) {
    super('a row key of the batch is already in the job', options);
  }
}

/**
 * Appends a batch of rows and puts a finished job back to running, in one
 * batch (one transaction on the client's own connection: an interactive
 * transaction would hand that connection away and leave the client on a new
 * one without our pragmas). Throws DuplicateRowKey, naming a key, when one of
 * the batch is already in the job.
 */
export async function appendRows(db: Db, jobId: string, newRows: NewRow[], now: number): Promise<void> {
  try {
    await db.batch([
      ...insertRowsStatements(db, jobId, newRows, now),
      db.run(sql`
        UPDATE jobs SET status = CASE status WHEN 'done' THEN 'running' ELSE status END,
          finished_at = CASE status WHEN 'done' THEN NULL ELSE finished_at END
        WHERE id = ${jobId}`),
    ]);
  } catch (err) {
    if (!mayBeDuplicateRowKey(err)) throw err;
    // Keys are only ever added to a job, so one found now was there when the batch was refused.
    const found = await db.get<{ key: string }>(
      sql`SELECT key FROM rows WHERE job_id = ${jobId} AND key IN (SELECT value FROM json_each(${jsonText(newRows.map((r) => r.key))})) LIMIT 1`,
    );
    if (found) throw new DuplicateRowKey(found.key, { cause: err });
    throw err;
  }
}
