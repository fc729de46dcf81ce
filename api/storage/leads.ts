import { and, asc, eq, sql } from 'drizzle-orm';
import type { LeadStepName, RowInput, RowStatus, StepOutcome } from '../../shared/index.js';
import type { RowState } from '../engine/rowState.js';
import { batchStatement } from './batch.js';
import { isConstraintViolation } from './constraint.js';
import type { Db } from './db.js';
import type { EntryKind } from './journal.js';
import { jsonText } from './jsonText.js';
import { jobs, leadIdentities, leadSteps, routeTurns, rows, type JobPipeline } from './schema/index.js';

/**
 * The lead pipeline's storage: dedup identities, routing turns, the audit
 * journal of steps, and the reads of a lead's run. A lead's run is its row
 * (rows.ts): its checkpoint is the row's state, written under the row's lease.
 */

/** The run that holds an identity: the first in the dedup window, as the claim found it. */
export interface IdentityHolder {
  jobId: string;
  seq: number;
  key: string;
  errorCode: string | null;
  errorMessage: string | null;
  /** The holder's row as it stands: a duplicate waits for a holder still running. */
  status: RowStatus;
  state: RowState | null;
}

export interface StepRecord {
  jobId: string;
  seq: number;
  step: LeadStepName;
  attempt: number;
  outcome: StepOutcome;
  at: number;
  durationMs: number;
  costUsd: number;
  by: string | null;
  output: unknown;
  judgement: boolean;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface LeadRow {
  jobId: string;
  seq: number;
  key: string;
  input: RowInput;
  status: RowStatus;
  state: RowState | null;
  errorCode: string | null;
  errorMessage: string | null;
  pipeline: JobPipeline;
}

export interface ReplayFilter {
  source?: string;
  step?: LeadStepName;
  since?: number;
  until?: number;
}

export interface LeadsStore {
  /**
   * Takes the identity for this run unless another run took it within the
   * window (`after`) and its job was not cancelled (a cancelled job's runs
   * may never end, and its duplicates would wait for them for ever): answers
   * the holder, which is this run when it took it. Idempotent: a run
   * claiming again finds itself.
   */
  claimIdentity(workspaceId: string, identity: string, jobId: string, seq: number, at: number, after: number): Promise<IdentityHolder>;
  /** This lead's turn in the rule's round-robin: the rule's next number, taken once; the same number ever after. */
  takeTurn(workspaceId: string, rule: string, jobId: string, seq: number): Promise<number>;
  /** A lead of the workspace by its job and key, with its job's pipeline settings; undefined when none (or not a lead). */
  find(workspaceId: string, jobId: string, key: string): Promise<LeadRow | undefined>;
  /** Every attempt of every step of a run, oldest first. */
  steps(jobId: string, seq: number): Promise<StepRecord[]>;
  /**
   * Puts failed runs back in the queue, each to resume at the step that
   * failed (the checkpoint keeps every step that succeeded): the failed step
   * is forgotten, nothing else. Returns how many, and wakes their jobs.
   */
  replay(workspaceId: string, filter: ReplayFilter, now: number): Promise<number>;
}

export function leadsStore(db: Db): LeadsStore {
  return {
    async claimIdentity(workspaceId, identity, jobId, seq, at, after) {
      // One statement: taken when free or when its holder is older than the window; kept otherwise.
      await db.run(sql`
        INSERT INTO lead_identities (workspace_id, identity, job_id, seq, at) VALUES (${workspaceId}, ${identity}, ${jobId}, ${seq}, ${at})
        ON CONFLICT (workspace_id, identity) DO UPDATE SET job_id = excluded.job_id, seq = excluded.seq, at = excluded.at
        WHERE lead_identities.at < ${after}
          OR (SELECT status FROM jobs WHERE jobs.id = lead_identities.job_id) = 'cancelled'`);
      const holder = await db
        .select({
          jobId: leadIdentities.jobId,
          seq: leadIdentities.seq,
          key: rows.key,
          status: rows.status,
          state: rows.state,
          errorCode: rows.errorCode,
          errorMessage: rows.errorMessage,
        })
        .from(leadIdentities)
        .innerJoin(rows, and(eq(rows.jobId, leadIdentities.jobId), eq(rows.seq, leadIdentities.seq)))
        .where(and(eq(leadIdentities.workspaceId, workspaceId), eq(leadIdentities.identity, identity)))
        .get();
      // The holder's row is always there (rows are never deleted); if not, this run holds it.
      return holder ?? { jobId, seq, key: '', status: 'running', state: null, errorCode: null, errorMessage: null };
    },

    async takeTurn(workspaceId, rule, jobId, seq) {
      for (;;) {
        const mine = await db
          .select({ turn: routeTurns.turn })
          .from(routeTurns)
          .where(and(eq(routeTurns.jobId, jobId), eq(routeTurns.seq, seq), eq(routeTurns.rule, rule)))
          .get();
        if (mine) return mine.turn;
        try {
          await db.run(sql`
            INSERT INTO route_turns (workspace_id, rule, turn, job_id, seq)
            SELECT ${workspaceId}, ${rule}, coalesce(max(turn) + 1, 0), ${jobId}, ${seq} FROM route_turns
            WHERE workspace_id = ${workspaceId} AND rule = ${rule}`);
        } catch (err) {
          // Another instance took the same number at the same moment: look again (ours may be in, or take the next).
          if (!isConstraintViolation(err)) throw err;
        }
      }
    },

    async find(workspaceId, jobId, key) {
      const r = await db
        .select({
          jobId: rows.jobId,
          seq: rows.seq,
          key: rows.key,
          input: rows.input,
          status: rows.status,
          state: rows.state,
          errorCode: rows.errorCode,
          errorMessage: rows.errorMessage,
          pipeline: jobs.pipeline,
        })
        .from(rows)
        .innerJoin(jobs, eq(jobs.id, rows.jobId))
        .where(and(eq(rows.jobId, jobId), eq(rows.key, key), eq(jobs.workspaceId, workspaceId)))
        .get();
      return r?.pipeline ? { ...r, pipeline: r.pipeline } : undefined;
    },

    async steps(jobId, seq) {
      return db
        .select()
        .from(leadSteps)
        .where(and(eq(leadSteps.jobId, jobId), eq(leadSteps.seq, seq)))
        .orderBy(asc(leadSteps.id))
        .all();
    },

    async replay(workspaceId, filter, now) {
      const source = filter.source === undefined ? sql`` : sql`AND jobs.pipeline ->> '$.source' = ${filter.source}`;
      const step = filter.step === undefined ? sql`` : sql`AND rows.state ->> '$.run.failedStep' = ${filter.step}`;
      const since = filter.since === undefined ? sql`` : sql`AND rows.updated_at >= ${filter.since}`;
      const until = filter.until === undefined ? sql`` : sql`AND rows.updated_at <= ${filter.until}`;
      const picked = await db.all<{ job_id: string; seq: number }>(sql`
        SELECT rows.job_id, rows.seq FROM rows JOIN jobs ON jobs.id = rows.job_id
        WHERE jobs.workspace_id = ${workspaceId} AND jobs.pipeline IS NOT NULL AND rows.status = 'failed'
          AND rows.state ->> '$.run.failedStep' IS NOT NULL ${source} ${step} ${since} ${until}`);
      if (picked.length === 0) return 0;
      const batch = jsonText(picked.map((p) => ({ jobId: p.job_id, seq: p.seq })));
      // The failed step's checkpoint goes, and with it the failure: the run resumes there. Provider failures are
      // forgotten as a row retry forgets them (an enrich step that failed asks its providers again).
      await db.batch([
        db.run(sql`
          UPDATE rows SET status = 'pending', run_at = ${now}, attempts = 0, error_code = NULL, error_message = NULL,
            state = json_remove(json_set(state, '$.failed', json('{}'), '$.attempts', json('{}')),
                                '$.run.steps.' || (state ->> '$.run.failedStep'), '$.run.failedStep'),
            updated_at = ${now}
          FROM (SELECT value ->> '$.jobId' AS job_id, value ->> '$.seq' AS seq FROM json_each(${batch})) AS picked
          WHERE rows.job_id = picked.job_id AND rows.seq = picked.seq AND rows.status = 'failed'`),
        db.run(sql`
          UPDATE jobs SET status = 'running', finished_at = NULL
          WHERE id IN (SELECT DISTINCT value ->> '$.jobId' FROM json_each(${batch})) AND status = 'done'`),
      ]);
      return picked.length;
    },
  };
}

/** The audit journal's entries: appended in the journal's commit with the checkpoint they describe. */
export const journalledSteps: EntryKind<StepRecord> = {
  statements(entries) {
    return [
      batchStatement(
        entries,
        (s) => ({ ...s, output: s.output === undefined ? null : jsonText(s.output), judgement: s.judgement ? 1 : 0 }),
        `INSERT INTO lead_steps (job_id, seq, step, attempt, outcome, at, duration_ms, cost_usd, by, output, judgement, error_code, error_message)
         SELECT e ->> '$.jobId', e ->> '$.seq', e ->> '$.step', e ->> '$.attempt', e ->> '$.outcome', e ->> '$.at', e ->> '$.durationMs',
           e ->> '$.costUsd', e ->> '$.by', e ->> '$.output', e ->> '$.judgement', e ->> '$.errorCode', e ->> '$.errorMessage'
         FROM batch`,
      ),
    ];
  },
};

/** A running row's checkpoint, written mid-run under its lease: each step of a lead's run as it ends. */
export const checkpointedRows: EntryKind<{ jobId: string; seq: number; workerId: string; state: RowState; at: number }> = {
  statements(entries) {
    return [
      batchStatement(
        entries,
        (r) => ({ jobId: r.jobId, seq: r.seq, workerId: r.workerId, state: jsonText(r.state), at: r.at }),
        `UPDATE rows SET state = e ->> '$.state', updated_at = e ->> '$.at'
         FROM batch
         WHERE rows.job_id = e ->> '$.jobId' AND rows.seq = e ->> '$.seq' AND rows.locked_by = e ->> '$.workerId' AND rows.status = 'running'`,
      ),
    ];
  },
};
