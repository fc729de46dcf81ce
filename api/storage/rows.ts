import { and, asc, count, eq, gt, inArray, sql } from 'drizzle-orm';
import type { JobCounts, RowInput, RowStatus } from '../../shared/index.js';
import { RowStatusSchema } from '../../shared/index.js';
import type { RowState } from '../engine/rowState.js';
import { batchStatement } from './batch.js';
import type { Db } from './db.js';
import type { EntryKind } from './journal.js';
import { DB_NOW_MS } from './members.js';
import { jsonText } from './jsonText.js';
import { rows, type PurchaseKey } from './schema/index.js';
import { parseJson } from './schema/json.js';

/**
 * The rows aggregate: a row's life after submission. Rows are added with their
 * job (jobs.ts). Invariant: a running row is written only by the holder of
 * its lease: completing, releasing and heartbeating check `locked_by` in
 * their WHERE, so a worker whose lease ran out (and whose row another worker
 * took) writes nothing, and a journal commit sent twice changes nothing the
 * second time. The one exception is reclaimExpired, which takes back rows
 * whose lease is past `locked_until` or whose holder the cluster declared
 * dead: that is crash recovery. Either way `locked_by` changes, so the old
 * holder, should it still be running, writes nothing more to the row.
 */

export interface ClaimedRow {
  jobId: string;
  seq: number;
  key: string;
  input: RowInput;
  state: RowState | null;
  attempts: number;
  /**
   * The purchases this claim holds: those of the row's purchases the cache
   * lacked as the row was taken (rows_hold_purchases). Until the row stops
   * running, no other row may buy them and a lookup elsewhere waits for this
   * one's answer, so no answer for them is stored but by this worker: the row
   * need not read the cache for them (Caller.lookup, StepContext.held).
   */
  held: PurchaseKey[];
}

/** A row as GET /results lists it. */
export type ListedRow = Pick<typeof rows.$inferSelect, 'seq' | 'key' | 'status' | 'state' | 'errorCode' | 'errorMessage'>;

interface LeasedRow {
  jobId: string;
  seq: number;
  /** The lease holder: if the lease expired and another worker took the row, the entry writes nothing, so a row is never finished twice. */
  workerId: string;
  state: RowState;
  at: number;
}

export interface RowCompletion extends LeasedRow {
  status: RowStatus;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface RowRelease extends LeasedRow {
  runAt: number;
  /** A retry scheduled after a failure counts as an attempt; a row handed back at shutdown or cancel does not. */
  countAttempt: boolean;
}

/**
 * Sizes a claim for a cluster: a job's rows spread over the live members
 * instead of going to whoever claims first. The worker takes up to its fair
 * part of the job's outstanding rows (due, or running anywhere) less what it
 * holds; when that is positive but small, `floor` rows, so that no claim is
 * for a row or two, or its part of the due rows once fewer are left.
 */
export interface ClaimSpread {
  /** Live members, this one included. */
  members: number;
  /** Rows of the job this worker holds now. */
  held: number;
  floor: number;
}

export interface RowsStore {
  /**
   * Leases up to `limit` due rows of a job to `workerId` until `lockedUntil`;
   * with `spread`, no more than its fair part. A row is skipped while another
   * worker holds one of the answers it may buy (see heldPurchases): it waits,
   * pending, for that answer to be stored, instead of buying it again.
   */
  claim(jobId: string, limit: number, workerId: string, lockedUntil: number, now: number, spread?: ClaimSpread): Promise<ClaimedRow[]>;
  /** Extends every lease this worker holds on the given jobs' rows. */
  heartbeat(jobIds: string[], workerId: string, lockedUntil: number): Promise<void>;
  /**
   * Rows whose lease ran out (their worker died, or lost the database long
   * enough), and rows held by the given workers (cluster members declared
   * dead: taken back at once, not when their lease would run out), go back
   * to pending. Their checkpointed state comes with them, so what was
   * already bought is not bought again. Returns how many.
   */
  reclaimExpired(now: number, deadWorkers?: readonly string[]): Promise<number>;
  /**
   * Puts flagged rows (failed, budget exhausted; all, or those with these
   * keys) back in the queue and the job back to running. Providers that
   * failed are forgotten so they are asked again; answers already bought stay
   * in the checkpoint and the cache. Returns how many rows.
   */
  retry(jobId: string, keys: string[] | undefined, now: number): Promise<number>;
  /** A page of a job's rows after sequence number `after`, optionally of one status, or only the row with `key` (an index seek). */
  list(jobId: string, after: number, limit: number, status?: RowStatus, key?: string): Promise<ListedRow[]>;
  /** A job's rows by status. */
  count(jobId: string): Promise<JobCounts>;
}

/**
 * The claim's limit as the statement computes it, in the same round trip:
 * the job's outstanding rows (due or running), counted through the claim
 * index only as far as can matter (past members × (limit + held), the fair
 * part is the whole limit), ÷ members, rounded up, less what is held. The
 * floor is cut to the due rows ÷ members as they run out: a floor's worth
 * taken by one member at the end was its own drain, a second or so at its
 * share of a provider's rate, while the others had nothing left.
 */
function fairLimit(jobId: string, limit: number, now: number, { members, held, floor }: ClaimSpread) {
  // Bound numbers arrive as REAL: cast, so the division rounds down and LIMIT gets an integer.
  const int = (n: number) => sql`CAST(${Math.floor(n)} AS INTEGER)`;
  const cap = int(members * (limit + held));
  const perMember = (n: string) => sql`(${sql.raw(n)} + ${int(members - 1)}) / ${int(members)}`;
  return sql`(SELECT CASE WHEN fair <= 0 THEN 0 ELSE min(${int(limit)}, max(fair, min(${int(floor)}, ${perMember('due')}))) END FROM (
    SELECT ${perMember('running + due')} - ${int(held)} AS fair, due FROM (
      SELECT (SELECT count(*) FROM (SELECT 1 FROM rows WHERE job_id = ${jobId} AND status = 'running' LIMIT ${cap})) AS running,
             (SELECT count(*) FROM (SELECT 1 FROM rows WHERE job_id = ${jobId} AND status = 'pending' AND run_at <= ${now} LIMIT ${cap})) AS due)))`;
}

export function rowsStore(db: Db): RowsStore {
  return {
    async claim(jobId, limit, workerId, lockedUntil, now, spread) {
      // Plain SQL, decoded by the json column type's own parseJson: the query builder's RETURNING took half as long again.
      const [claimed, holds] = await db.batch([
        db.all<{ seq: number; key: string; input: string; state: string | null; attempts: number }>(sql`
        UPDATE rows SET status = 'running', locked_by = ${workerId}, locked_until = ${lockedUntil}, updated_at = ${now}
        WHERE job_id = ${jobId} AND seq IN (
          SELECT seq FROM rows r WHERE job_id = ${jobId} AND status = 'pending' AND run_at <= ${now}
            -- A cancelled job's rows stay pending: a claim made after a pass read the job as running takes none of them.
            AND EXISTS (SELECT 1 FROM jobs WHERE id = ${jobId} AND status = 'running')
            -- CROSS JOIN keeps json_each outside, so each purchase is one probe of held_purchases' key, not a walk of the workspace's holds.
            AND (r.purchases IS NULL OR NOT EXISTS (
              SELECT 1 FROM json_each(r.purchases) p CROSS JOIN held_purchases h
              WHERE h.workspace_id = (SELECT workspace_id FROM jobs WHERE id = ${jobId})
                AND h.provider_id = p.value ->> 0 AND h.input_key = p.value ->> 1 AND h.worker != ${workerId}
                AND (h.expires_at IS NULL OR h.expires_at > ${DB_NOW_MS})))
          LIMIT ${spread && spread.members > 1 ? fairLimit(jobId, limit, now, spread) : limit})
        RETURNING seq, key, input, state, attempts`),
        // What the claim's trigger held, read after it in the same transaction: a RETURNING subquery may run before
        // the row's AFTER trigger. The rows are this claim's by holder and time; another claim of this worker in the
        // same millisecond adds holds that are also this worker's, and only the claimed rows' are kept below.
        db.all<{ seq: number; provider_id: string; input_key: string }>(sql`
        SELECT seq, provider_id, input_key FROM held_purchases
        WHERE job_id = ${jobId} AND worker = ${workerId} AND seq IN (
          SELECT seq FROM rows WHERE job_id = ${jobId} AND status = 'running' AND locked_by = ${workerId} AND updated_at = ${now})`),
      ]);
      const held = new Map<number, PurchaseKey[]>();
      for (const h of holds) held.set(h.seq, [...(held.get(h.seq) ?? []), [h.provider_id, h.input_key]]);
      return claimed.map((r) => ({
        jobId,
        seq: r.seq,
        key: r.key,
        input: parseJson<RowInput>(r.input),
        state: r.state === null ? null : parseJson<RowState>(r.state),
        attempts: r.attempts,
        held: held.get(r.seq) ?? [],
      }));
    },

    async heartbeat(jobIds, workerId, lockedUntil) {
      if (jobIds.length === 0) return;
      await db
        .update(rows)
        .set({ lockedUntil })
        .where(and(inArray(rows.jobId, jobIds), eq(rows.status, 'running'), eq(rows.lockedBy, workerId)));
    },

    async reclaimExpired(now, deadWorkers = []) {
      const held = deadWorkers.length > 0 ? sql` OR locked_by IN (SELECT value FROM json_each(${jsonText(deadWorkers)}))` : sql``;
      const res = await db.run(sql`
        UPDATE rows SET status = 'pending', locked_by = NULL, locked_until = NULL, updated_at = ${now}
        WHERE status = 'running' AND (locked_until < ${now}${held})
          AND job_id IN (SELECT id FROM jobs WHERE status = 'running')`);
      return res.rowsAffected;
    },

    async retry(jobId, keys, now) {
      const keyFilter = keys ? sql`AND key IN (SELECT value FROM json_each(${jsonText(keys)}))` : sql``;
      const [res] = await db.batch([
        db.run(sql`
          UPDATE rows SET status = 'pending', run_at = ${now}, attempts = 0, error_code = NULL, error_message = NULL,
            state = CASE WHEN state IS NULL THEN NULL ELSE json_set(state, '$.failed', json('{}'), '$.attempts', json('{}')) END,
            updated_at = ${now}
          WHERE job_id = ${jobId} AND status IN ('failed', 'budget_exhausted') ${keyFilter}`),
        db.run(sql`
          UPDATE jobs SET status = 'running', finished_at = NULL
          WHERE id = ${jobId} AND (status = 'cancelled' OR EXISTS (SELECT 1 FROM rows WHERE job_id = ${jobId} AND status = 'pending'))`),
      ]);
      return res.rowsAffected;
    },

    async list(jobId, after, limit, status, key) {
      return db
        .select({ seq: rows.seq, key: rows.key, status: rows.status, state: rows.state, errorCode: rows.errorCode, errorMessage: rows.errorMessage })
        .from(rows)
        .where(and(eq(rows.jobId, jobId), gt(rows.seq, after), status ? eq(rows.status, status) : undefined, key === undefined ? undefined : eq(rows.key, key)))
        .orderBy(asc(rows.seq))
        .limit(limit);
    },

    async count(jobId) {
      const counts = Object.fromEntries(['total', ...RowStatusSchema.options].map((s) => [s, 0])) as JobCounts;
      const grouped = await db.select({ status: rows.status, n: count() }).from(rows).where(eq(rows.jobId, jobId)).groupBy(rows.status);
      for (const g of grouped) {
        counts[g.status] = g.n;
        counts.total += g.n;
      }
      return counts;
    },
  };
}

// Checkpoints travel as JSON strings: SQLite stores them as they are instead of parsing and re-serialising each.
// Both kinds check the lease in WHERE (see the invariant above), as graphile-worker's failJobs does.

/** A row's end: its status, checkpoint and error, and the lease let go. */
export const completedRows: EntryKind<RowCompletion> = {
  statements(entries) {
    return [
      batchStatement(
        entries,
        (r) => ({
          jobId: r.jobId,
          seq: r.seq,
          workerId: r.workerId,
          state: jsonText(r.state),
          at: r.at,
          status: r.status,
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
        }),
        `UPDATE rows SET status = e ->> '$.status', state = e ->> '$.state', error_code = e ->> '$.errorCode', error_message = e ->> '$.errorMessage',
           locked_by = NULL, locked_until = NULL, updated_at = e ->> '$.at'
         FROM batch
         WHERE rows.job_id = e ->> '$.jobId' AND rows.seq = e ->> '$.seq' AND rows.locked_by = e ->> '$.workerId' AND rows.status = 'running'`,
      ),
    ];
  },
};

/** Hands rows back to the queue to run again at their `runAt`, keeping their checkpoints. */
export const releasedRows: EntryKind<RowRelease> = {
  statements(entries) {
    return [
      batchStatement(
        entries,
        (r) => ({ jobId: r.jobId, seq: r.seq, workerId: r.workerId, state: jsonText(r.state), at: r.at, runAt: r.runAt, countAttempt: r.countAttempt ? 1 : 0 }),
        `UPDATE rows SET status = 'pending', state = e ->> '$.state', run_at = e ->> '$.runAt', attempts = attempts + (e ->> '$.countAttempt'),
           locked_by = NULL, locked_until = NULL, updated_at = e ->> '$.at'
         FROM batch
         WHERE rows.job_id = e ->> '$.jobId' AND rows.seq = e ->> '$.seq' AND rows.locked_by = e ->> '$.workerId' AND rows.status = 'running'`,
      ),
    ];
  },
};
