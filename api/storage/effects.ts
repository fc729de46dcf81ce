import { sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { batchSql } from './batch.js';
import { jsonText } from './jsonText.js';
import { parseJson } from './schema/json.js';

/**
 * The outbox of external effects (schema/leads.ts `effects`). Invariant: an
 * effect is `sending`, leased to one worker, from before its request leaves
 * until its answer is settled here; settling checks the lease in WHERE, so a
 * worker whose lease ran out (and whose effect another worker took as in
 * doubt) changes nothing.
 */

export interface NewEffect {
  id: string;
  workspaceId: string;
  target: string;
  jobId: string;
  seq: number;
  payload: unknown;
  /** Higher first: a lead someone waits on (a form's) goes ahead of a bulk import's backlog. */
  priority: number;
}

export interface ClaimedEffect extends NewEffect {
  attempts: number;
}

export type EffectStatus = 'pending' | 'sending' | 'done' | 'failed';

export interface EffectSettlement {
  id: string;
  status: Exclude<EffectStatus, 'sending'>;
  /** For `pending`: when to send again. */
  nextAt?: number;
  /** A 429 is not an attempt: the target asked for time, it did not fail. */
  uncountAttempt?: boolean;
  result?: unknown;
  error?: string;
}

export interface SettledEffect {
  id: string;
  status: 'done' | 'failed';
  result: unknown;
  error: string | null;
}

export interface EffectsStore {
  /**
   * Adds the effect once (its id is the lead, step and target). One that
   * failed for good is put back to pending: a replayed step sends it again.
   * Any other state is kept: a run resuming after a crash waits for the
   * effect it had enqueued, which may have been sent already.
   */
  enqueue(effect: NewEffect, now: number): Promise<void>;
  /**
   * The highest priority among the target's effects to send now (due, or in
   * doubt); undefined when there are none. Looked at before pacing, so an
   * idle target uses no request of its limit, and bulk work is paced to its
   * share only.
   */
  topPriority(target: string, now: number): Promise<number | undefined>;
  /** Leases due pending effects of a target to `workerId` (none of a cancelled job), highest priority then oldest first, marking them sending. */
  claimDue(target: string, limit: number, workerId: string, lockedUntil: number, now: number): Promise<ClaimedEffect[]>;
  /** Leases effects left `sending` by a worker whose lease ran out (it crashed mid-request): they are in doubt. */
  claimInDoubt(target: string, limit: number, workerId: string, lockedUntil: number, now: number): Promise<ClaimedEffect[]>;
  settle(workerId: string, settlements: EffectSettlement[], now: number): Promise<void>;
  /**
   * Ends the leases of effects the given workers hold (cluster members
   * declared dead): they are in doubt now, and claimInDoubt takes them at
   * once, not when the lease would have run out. The holder stays in
   * `locked_by` until another claims them, and settle checks it, so only the
   * new holder's answer counts. Returns how many.
   */
  endLeasesOf(workerIds: readonly string[], now: number): Promise<number>;
  /** Of these effects, those finished (done or failed for good). */
  finished(ids: string[]): Promise<SettledEffect[]>;
}

type EffectRow = { id: string; workspace_id: string; target: string; job_id: string; seq: number; payload: string; priority: number; attempts: number };
const decode = (r: EffectRow): ClaimedEffect => ({
  id: r.id,
  priority: r.priority,
  workspaceId: r.workspace_id,
  target: r.target,
  jobId: r.job_id,
  seq: r.seq,
  payload: parseJson(r.payload),
  attempts: r.attempts,
});

/**
 * A cancelled job's effects not yet sent stay unsent (its rows are handed back,
 * to resume with the job); an effect already in doubt is still settled.
 */
const NOT_CANCELLED = sql`job_id NOT IN (SELECT id FROM jobs WHERE status = 'cancelled')`;

export function effectsStore(db: Db): EffectsStore {
  const claim = async (target: string, which: ReturnType<typeof sql>, limit: number, workerId: string, lockedUntil: number, now: number) =>
    (
      await db.all<EffectRow>(sql`
        UPDATE effects SET status = 'sending', locked_by = ${workerId}, locked_until = ${lockedUntil}, attempts = attempts + 1, updated_at = ${now}
        WHERE id IN (SELECT id FROM effects WHERE target = ${target} AND ${which} ORDER BY priority DESC, created_at LIMIT ${limit})
        RETURNING id, workspace_id, target, job_id, seq, payload, priority, attempts`)
    ).map(decode);

  return {
    async enqueue(e, now) {
      await db.run(sql`
        INSERT INTO effects (id, workspace_id, target, job_id, seq, payload, priority, status, attempts, next_at, created_at, updated_at)
        VALUES (${e.id}, ${e.workspaceId}, ${e.target}, ${e.jobId}, ${e.seq}, ${jsonText(e.payload)}, ${e.priority}, 'pending', 0, ${now}, ${now}, ${now})
        ON CONFLICT (id) DO UPDATE SET status = 'pending', attempts = 0, next_at = ${now}, payload = excluded.payload,
          error_message = NULL, result = NULL, updated_at = ${now}
        WHERE effects.status = 'failed'`);
    },

    async topPriority(target, now) {
      const found = await db.all<{ priority: number }>(sql`
        SELECT priority FROM effects WHERE target = ${target}
          AND ((status = 'pending' AND next_at <= ${now} AND ${NOT_CANCELLED}) OR (status = 'sending' AND locked_until < ${now}))
        ORDER BY priority DESC LIMIT 1`);
      return found[0]?.priority;
    },

    claimDue: (target, limit, workerId, lockedUntil, now) =>
      claim(target, sql`status = 'pending' AND next_at <= ${now} AND ${NOT_CANCELLED}`, limit, workerId, lockedUntil, now),

    claimInDoubt: (target, limit, workerId, lockedUntil, now) =>
      claim(target, sql`status = 'sending' AND locked_until < ${now}`, limit, workerId, lockedUntil, now),

    async settle(workerId, settlements, now) {
      if (settlements.length === 0) return;
      await db.run(
        batchSql(
          settlements,
          (s) => ({
            id: s.id,
            status: s.status,
            nextAt: s.nextAt ?? now,
            uncount: s.uncountAttempt ? 1 : 0,
            result: s.result === undefined ? null : jsonText(s.result),
            error: s.error ?? null,
          }),
          sql`UPDATE effects SET status = e ->> '$.status', next_at = e ->> '$.nextAt', attempts = attempts - (e ->> '$.uncount'),
                result = coalesce(e ->> '$.result', result), error_message = e ->> '$.error',
                locked_by = NULL, locked_until = NULL, updated_at = ${now}
              FROM batch
              WHERE effects.id = e ->> '$.id' AND effects.locked_by = ${workerId} AND effects.status = 'sending'`,
        ),
      );
    },

    async endLeasesOf(workerIds, now) {
      if (workerIds.length === 0) return 0;
      const res = await db.run(sql`
        UPDATE effects SET locked_until = ${now} - 1, updated_at = ${now}
        WHERE status = 'sending' AND locked_by IN (SELECT value FROM json_each(${jsonText(workerIds)})) AND locked_until >= ${now}`);
      return res.rowsAffected;
    },

    async finished(ids) {
      if (ids.length === 0) return [];
      const found = await db.all<{ id: string; status: 'done' | 'failed'; result: string | null; error_message: string | null }>(sql`
        SELECT id, status, result, error_message FROM effects
        WHERE id IN (SELECT value FROM json_each(${jsonText(ids)})) AND status IN ('done', 'failed')`);
      return found.map((f) => ({ id: f.id, status: f.status, result: f.result === null ? null : parseJson(f.result), error: f.error_message }));
    },
  };
}
