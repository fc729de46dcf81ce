import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';
import type { NewRow } from './types.js';

/**
 * Appends a batch of rows and puts a finished job back to running, in one
 * batch (one transaction on the client's own connection: an interactive
 * transaction would hand that connection away and leave the client on a new
 * one without our pragmas). Sequence numbers are taken from the job inside
 * the transaction, so concurrent appends never share one.
 */
export async function appendRows(db: Db, jobId: string, newRows: NewRow[], now: number): Promise<void> {
  const batch = JSON.stringify(newRows.map((r) => [r.key, r.input, r.status, r.errorMessage ?? null, r.state ?? null]));
  await db.batch([
    db.run(sql`
      INSERT INTO rows (job_id, seq, key, input, status, error_code, error_message, state, attempts, run_at, updated_at)
      SELECT ${jobId}, (SELECT next_seq FROM jobs WHERE id = ${jobId}) + j.key,
        json_extract(j.value, '$[0]'), json(json_extract(j.value, '$[1]')), json_extract(j.value, '$[2]'),
        CASE json_extract(j.value, '$[2]') WHEN 'invalid_input' THEN 'invalid_input' END,
        json_extract(j.value, '$[3]'), CASE WHEN json_type(j.value, '$[4]') = 'object' THEN json(json_extract(j.value, '$[4]')) END,
        0, ${now}, ${now}
      FROM json_each(${batch}) j`),
    db.run(sql`
      UPDATE jobs SET next_seq = next_seq + ${newRows.length},
        status = CASE status WHEN 'done' THEN 'running' ELSE status END,
        finished_at = CASE status WHEN 'done' THEN NULL ELSE finished_at END
      WHERE id = ${jobId}`),
  ]);
}
