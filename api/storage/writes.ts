import { and, eq, inArray, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { RowStatus } from '../../shared/index.js';
import type { Db } from './db.js';
import { jsonText } from './jsonText.js';
import { DB_NOW_MS } from './members.js';
import { jobs, rows, rowWrites, sheetTargets, type SheetLayout } from './schema/index.js';
import { parseJson } from './schema/json.js';

/**
 * The sheet-writes aggregate: a job's Google Sheets target, and each row's
 * write state (anchored, written at which version, orphaned). See the
 * invariants in schema/writes.ts.
 */

export type SheetTargetRecord = typeof sheetTargets.$inferSelect;
export type NewSheetTarget = Omit<
  typeof sheetTargets.$inferInsert,
  'layout' | 'paused' | 'lastErrorCode' | 'lastErrorMessage' | 'lastErrorAt' | 'settledAt' | 'writerId' | 'writerUntil' | 'inDoubt'
>;

/** A target with what the writer needs of its job. */
export type ActiveTarget = SheetTargetRecord &
  Pick<typeof jobs.$inferSelect, 'fields'> & {
    jobStatus: (typeof jobs.$inferSelect)['status'];
    jobFinishedAt: number | null;
    jobCreatedAt: number;
    /** Whether a writer may take its lease now: none holds it, it ran out, or its holder is no longer a cluster member. */
    claimable: boolean;
  };

/** A finished row to write, at the version (`rows.updated_at`) read. */
export type PendingWrite = Pick<typeof rows.$inferSelect, 'seq' | 'key' | 'status' | 'state' | 'errorCode' | 'errorMessage'> & { version: number };

export interface WriteCounts {
  written: number;
  pendingWrite: number;
  orphaned: number;
}

export interface WritesStore {
  insertTarget(target: NewSheetTarget): Promise<void>;
  findTarget(jobId: string): Promise<SheetTargetRecord | undefined>;
  /** Removes a target recorded for a job that was not created after all (an idempotent repeat answered with an earlier job). */
  deleteTarget(jobId: string): Promise<void>;
  /**
   * Targets with writing left to do: their job is running, or it stopped after
   * the target last settled (finished, cancelled, or retried and finished again).
   * A target whose job row does not exist (creation failed half-way) never shows.
   */
  activeTargets(): Promise<ActiveTarget[]>;
  /**
   * Takes the writer lease of these targets for `leaseMs` (database clock) where
   * it is free: no holder, run out, or held by an instance that is no longer in
   * `members` (the cluster removes a member once it declared it dead and took
   * back its rows, or at its clean stop), or held by `writer` already. Returns
   * the targets it holds now.
   */
  claimTargets(jobIds: readonly string[], writer: string, leaseMs: number): Promise<{ jobId: string; inDoubt: { seq: number; version: number }[] | null }[]>;
  /** Extends the leases `writer` still holds; returns the targets it holds. A lease that ran out is not renewed (claim it again). */
  renewTargets(writer: string, leaseMs: number): Promise<string[]>;
  /** Hands back the leases `writer` holds (all of them at a clean stop, or these jobs'): other members take them at once. */
  releaseTargets(writer: string, jobIds?: readonly string[]): Promise<void>;
  /**
   * Records the rows of the write request about to be sent, if `writer` still
   * holds the lease; false when it does not, and nothing may be sent. One
   * statement: the lease check and the record cannot be split by a takeover.
   */
  beginWrite(jobId: string, writer: string, rows: { seq: number; version: number }[]): Promise<boolean>;
  /**
   * Records the versions Google accepted, and ends the doubt of the request
   * begun (if `writer` still holds the lease). A row finished again since it
   * was read keeps a newer `updated_at`, so it stays pending and is written again.
   */
  endWrite(jobId: string, writer: string, written: { seq: number; version: number }[]): Promise<void>;
  /** Stores the sealed OAuth token (or none); a resume follows with setToken. */
  saveToken(jobId: string, sealed: string | null): Promise<void>;
  /** Drops the sealed token Google refused, unless a fresher one was stored meanwhile. */
  dropToken(jobId: string, sealed: string): Promise<void>;
  /** The resolved columns and grid size; null makes the writer place the columns again (the sheet changed shape). */
  saveLayout(jobId: string, layout: SheetLayout | null): Promise<void>;
  /** The last thing that stopped a write; `paused` when only the user can unblock it (see resume). */
  recordError(jobId: string, error: { code: string; message: string; paused: boolean }, now: number): Promise<void>;
  /** Writing went through again: the last error no longer describes the job. */
  clearError(jobId: string): Promise<void>;
  /** Lets writing go on (fresh token, job resumed). The layout is checked again, in case the tab changed while paused. */
  resume(jobId: string): Promise<void>;
  /** Every finished row is written and the dashboard is final: the writer leaves the target alone until its job runs again. */
  settle(jobId: string, now: number): Promise<void>;
  /**
   * Rows of a job not yet anchored in the sheet, in submission order, whatever
   * their status. Anchoring goes in sequence order, so the anchored rows are
   * always the prefix up to the highest anchored seq: a range read, not a scan.
   */
  unanchored(jobId: string, limit: number): Promise<{ seq: number; key: string }[]>;
  /** Records that Google accepted these rows' developer metadata. */
  markAnchored(jobId: string, seqs: number[], now: number): Promise<void>;
  /** Anchored, finished rows whose current version Google has not accepted yet; orphans never. */
  pending(jobId: string, limit: number): Promise<PendingWrite[]>;
  /** Rows whose sheet row was deleted: their anchor is gone, so they are never written anywhere. */
  markOrphaned(jobId: string, seqs: number[]): Promise<void>;
  /** Finished rows by write state: written at their current version, waiting (anchored or not), or orphaned. */
  progress(jobId: string): Promise<WriteCounts>;
}

/** Row statuses that are an outcome to show in the sheet. */
const FINISHED: Exclude<RowStatus, 'pending' | 'running'>[] = ['matched', 'partial', 'no_match', 'failed', 'invalid_input', 'budget_exhausted'];

/** A target's writer lease is free: no holder, run out (database clock), or its holder is no longer a cluster member. */
const LEASE_FREE = sql`(writer_id IS NULL OR writer_until < ${DB_NOW_MS} OR writer_id NOT IN (SELECT id FROM members))`;

/**
 * An upsert driven by the list, so each row is one primary-key lookup (an UPDATE ... FROM json_each would
 * scan the job's rows per entry). Every listed row is anchored already: the insert branch never runs.
 */
const markWrittenSql = (jobId: string, written: { seq: number; version: number }[]) => sql`
  INSERT INTO row_writes (job_id, seq, anchored_at, written_version, orphaned)
  SELECT ${jobId}, value ->> '$.seq', 0, value ->> '$.version', 0
  FROM json_each(${jsonText(written.map(({ seq, version }) => ({ seq, version })))}) WHERE true
  ON CONFLICT (job_id, seq) DO UPDATE SET written_version = excluded.written_version`;

export function writesStore(db: Db): WritesStore {
  return {
    async insertTarget(t) {
      await db.insert(sheetTargets).values(t);
    },
    async findTarget(jobId) {
      return db.select().from(sheetTargets).where(eq(sheetTargets.jobId, jobId)).get();
    },
    async deleteTarget(jobId) {
      await db.delete(sheetTargets).where(eq(sheetTargets.jobId, jobId));
    },
    async activeTargets() {
      const found = await db
        .select({
          target: sheetTargets,
          jobStatus: jobs.status,
          fields: jobs.fields,
          jobFinishedAt: jobs.finishedAt,
          jobCreatedAt: jobs.createdAt,
          claimable: sql<number>`${LEASE_FREE}`,
        })
        .from(sheetTargets)
        .innerJoin(jobs, eq(jobs.id, sheetTargets.jobId))
        .where(or(eq(jobs.status, 'running'), isNull(sheetTargets.settledAt), lt(sheetTargets.settledAt, jobs.finishedAt)))
        .orderBy(sheetTargets.createdAt);
      return found.map((r) => ({
        ...r.target,
        jobStatus: r.jobStatus,
        fields: r.fields,
        jobFinishedAt: r.jobFinishedAt,
        jobCreatedAt: r.jobCreatedAt,
        claimable: Number(r.claimable) === 1,
      }));
    },
    async claimTargets(jobIds, writer, leaseMs) {
      if (jobIds.length === 0) return [];
      // The doubt is read in the statement that takes the lease: the holder before cannot begin a write after it.
      const won = await db.all<{ job_id: string; in_doubt: string | null }>(sql`
        UPDATE sheet_targets SET writer_id = ${writer}, writer_until = ${DB_NOW_MS} + ${leaseMs}
        WHERE job_id IN (SELECT value FROM json_each(${jsonText(jobIds)})) AND (${LEASE_FREE} OR writer_id = ${writer})
        RETURNING job_id, in_doubt`);
      return won.map((r) => ({ jobId: r.job_id, inDoubt: r.in_doubt === null ? null : parseJson<{ seq: number; version: number }[]>(r.in_doubt) }));
    },
    async renewTargets(writer, leaseMs) {
      const held = await db.all<{ job_id: string }>(sql`
        UPDATE sheet_targets SET writer_until = ${DB_NOW_MS} + ${leaseMs}
        WHERE writer_id = ${writer} AND writer_until >= ${DB_NOW_MS}
        RETURNING job_id`);
      return held.map((r) => r.job_id);
    },
    async releaseTargets(writer, jobIds) {
      const only = jobIds ? sql` AND job_id IN (SELECT value FROM json_each(${jsonText(jobIds)}))` : sql``;
      await db.run(sql`UPDATE sheet_targets SET writer_id = NULL, writer_until = NULL WHERE writer_id = ${writer}${only}`);
    },
    async beginWrite(jobId, writer, rows) {
      const res = await db.run(sql`
        UPDATE sheet_targets SET in_doubt = ${jsonText(rows)}
        WHERE job_id = ${jobId} AND writer_id = ${writer} AND writer_until >= ${DB_NOW_MS}`);
      return res.rowsAffected === 1;
    },
    async endWrite(jobId, writer, written) {
      // One batch: the rows accepted and the end of the doubt commit together, so a takeover after it reads nothing back.
      await db.batch([
        db.run(markWrittenSql(jobId, written)),
        db.run(sql`UPDATE sheet_targets SET in_doubt = NULL WHERE job_id = ${jobId} AND writer_id = ${writer}`),
      ]);
    },
    async saveToken(jobId, sealed) {
      await db.update(sheetTargets).set({ token: sealed }).where(eq(sheetTargets.jobId, jobId));
    },
    async dropToken(jobId, sealed) {
      await db
        .update(sheetTargets)
        .set({ token: null })
        .where(and(eq(sheetTargets.jobId, jobId), eq(sheetTargets.token, sealed)));
    },
    async saveLayout(jobId, layout) {
      await db.update(sheetTargets).set({ layout }).where(eq(sheetTargets.jobId, jobId));
    },
    async recordError(jobId, error, now) {
      await db
        .update(sheetTargets)
        .set({ lastErrorCode: error.code, lastErrorMessage: error.message, lastErrorAt: now, paused: error.paused })
        .where(eq(sheetTargets.jobId, jobId));
    },
    async clearError(jobId) {
      await db.update(sheetTargets).set({ lastErrorCode: null, lastErrorMessage: null, lastErrorAt: null }).where(eq(sheetTargets.jobId, jobId));
    },
    async resume(jobId) {
      await db.update(sheetTargets).set({ paused: false, settledAt: null }).where(eq(sheetTargets.jobId, jobId));
    },
    async settle(jobId, now) {
      await db
        .update(sheetTargets)
        .set({ settledAt: now, lastErrorCode: null, lastErrorMessage: null, lastErrorAt: null })
        .where(eq(sheetTargets.jobId, jobId));
    },
    async unanchored(jobId, limit) {
      return db.all<{ seq: number; key: string }>(sql`
        SELECT seq, key FROM rows
        WHERE job_id = ${jobId} AND seq > (SELECT coalesce(max(seq), -1) FROM row_writes WHERE job_id = ${jobId})
        ORDER BY seq LIMIT ${limit}`);
    },
    async markAnchored(jobId, seqs, now) {
      if (seqs.length === 0) return;
      await db.run(sql`
        INSERT INTO row_writes (job_id, seq, anchored_at, orphaned)
        SELECT ${jobId}, value, ${now}, 0 FROM json_each(${jsonText(seqs)}) WHERE true
        ON CONFLICT (job_id, seq) DO NOTHING`);
    },
    async pending(jobId, limit) {
      return db
        .select({
          seq: rows.seq,
          key: rows.key,
          status: rows.status,
          state: rows.state,
          errorCode: rows.errorCode,
          errorMessage: rows.errorMessage,
          version: rows.updatedAt,
        })
        .from(rows)
        .innerJoin(rowWrites, and(eq(rowWrites.jobId, rows.jobId), eq(rowWrites.seq, rows.seq)))
        .where(
          and(
            eq(rows.jobId, jobId),
            inArray(rows.status, FINISHED),
            eq(rowWrites.orphaned, false),
            or(isNull(rowWrites.writtenVersion), ne(rowWrites.writtenVersion, rows.updatedAt)),
          ),
        )
        .orderBy(rows.seq)
        .limit(limit);
    },
    async markOrphaned(jobId, seqs) {
      if (seqs.length === 0) return;
      await db.run(sql`
        UPDATE row_writes SET orphaned = 1
        WHERE job_id = ${jobId} AND seq IN (SELECT value FROM json_each(${jsonText(seqs)}))`);
    },
    async progress(jobId) {
      const [row] = await db.all<WriteCounts>(sql`
        SELECT
          coalesce(sum(w.orphaned = 0 AND w.written_version = r.updated_at), 0) AS written,
          coalesce(sum(w.seq IS NULL OR (w.orphaned = 0 AND (w.written_version IS NULL OR w.written_version <> r.updated_at))), 0) AS pendingWrite,
          coalesce(sum(w.orphaned = 1), 0) AS orphaned
        FROM rows r LEFT JOIN row_writes w ON w.job_id = r.job_id AND w.seq = r.seq
        WHERE r.job_id = ${jobId} AND r.status IN ${FINISHED}`);
      return row ?? { written: 0, pendingWrite: 0, orphaned: 0 };
    },
  };
}
