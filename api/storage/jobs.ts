import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import type { RowInput, RowStatus } from '../../shared/index.js';
import { batchSql } from './batch.js';
import { sqliteCode } from './constraint.js';
import type { Db } from './db.js';
import { jsonText } from './jsonText.js';
import { jobs, type PurchaseKey } from './schema/index.js';

/**
 * The jobs aggregate: a job and the rows submitted to it. Rows are added only
 * here, with their job (create) or to it (append); what happens to a row
 * afterwards is rows.ts.
 */

/** A row as the engine hands it to storage at submission: invalid ones arrive already flagged. */
export interface NewRow<State extends object = object> {
  key: string;
  input: RowInput;
  /** Rows arrive pending, flagged invalid, or already finished from the cache. */
  status: Exclude<RowStatus, 'running'>;
  errorCode?: string;
  errorMessage?: string;
  /** A checkpoint to start from, e.g. what the row asks for beyond its fields (predictions). */
  state?: State;
  /** A pending row's answers to buy (see heldPurchases). */
  purchases?: PurchaseKey[];
}

export type JobRecord = Pick<
  typeof jobs.$inferSelect,
  'id' | 'workspaceId' | 'fields' | 'status' | 'maxCostUsd' | 'costUsd' | 'createdAt' | 'finishedAt' | 'pipeline'
>;

/** A running job as the runner's poll reads it. */
export type ActiveJob = JobRecord & {
  /** Rows of it are pending and due: a claim may take some. */
  due: boolean;
  /** Rows of it are pending (due or not) or running: it cannot be done yet. */
  open: boolean;
};

/** What an earlier job with this Idempotency-Key says of a new request: the same job, or a conflict. */
export type Repeat = { kind: 'existing'; job: JobRecord } | { kind: 'conflict' };

export type CreateJobResult = { kind: 'created'; job: JobRecord } | Repeat;

export interface CreateJobInput extends Pick<JobRecord, 'id' | 'workspaceId' | 'fields'> {
  /** Set for jobs of leads run through the workspace's pipeline. */
  pipeline?: JobRecord['pipeline'];
  maxCostUsd?: number;
  idempotencyKey?: string;
  bodyHash?: string;
  /** The cache's freshness (jobs.freshnessMs). */
  freshnessMs?: number;
  rows: NewRow[];
}

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

export interface JobsStore {
  /**
   * Creates a job and its first rows in one transaction; with an idempotency
   * key already used in the workspace, answers with that job instead (the
   * key's unique index decides, so two racing requests get one job).
   */
  create(input: CreateJobInput, now: number): Promise<CreateJobResult>;
  /**
   * Appends a batch of rows and puts a finished job back to running, in one
   * batch (one transaction on the client's own connection: an interactive
   * transaction would hand that connection away and leave the client on a new
   * one without our pragmas). Throws DuplicateRowKey, naming a key, when one of
   * the batch is already in the job.
   */
  append(jobId: string, newRows: NewRow[], now: number): Promise<void>;
  /** A job of this workspace; another workspace's job is as absent as a job that never was. */
  find(workspaceId: string, jobId: string): Promise<JobRecord | undefined>;
  /** The workspace's job created with this Idempotency-Key, as seen by a request whose body hashes to `bodyHash`; undefined when there is none. */
  findRepeat(workspaceId: string, idempotencyKey: string, bodyHash: string | undefined): Promise<Repeat | undefined>;
  /** Running jobs, oldest first, each with whether it has rows due at `now` and rows still open, in one read. */
  active(now: number): Promise<ActiveJob[]>;
  setBudget(jobId: string, maxCostUsd: number): Promise<void>;
  /** Cancels a running job; a finished one stays as it is. */
  cancel(jobId: string, now: number): Promise<void>;
  /** Marks a running job done once no row of it is pending or running. Returns whether it did. */
  finishIfDone(jobId: string, now: number): Promise<boolean>;
}

/** SQLite's result codes for a constraint: SQLITE_CONSTRAINT, and its extended form for a UNIQUE index. */
const SQLITE_CONSTRAINT = 19;
const SQLITE_CONSTRAINT_UNIQUE = 2067;

/**
 * Whether inserting rows may have been refused for a row key already in
 * the job, by the first SQLite result code down the cause chain (drizzle
 * wraps the driver's error), never by the message's text. The one UNIQUE
 * constraint they can break is `rows_key` (job_id, key): the primary key
 * (job_id, seq) is never the client's doing (sequence numbers are assigned
 * inside the transaction), so SQLITE_CONSTRAINT_PRIMARYKEY (1555) and the
 * other extended constraint codes are not this. The embedded file gives the
 * extended code; a remote libSQL server gives only SQLITE_CONSTRAINT, so
 * there the caller confirms by looking the keys up (append).
 */
function mayBeDuplicateRowKey(err: unknown): boolean {
  const code = sqliteCode(err);
  return code === SQLITE_CONSTRAINT_UNIQUE || code === SQLITE_CONSTRAINT || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT';
}

export function jobsStore(db: Db): JobsStore {
  const find = (workspaceId: string, jobId: string) =>
    db
      .select()
      .from(jobs)
      .where(and(eq(jobs.id, jobId), eq(jobs.workspaceId, workspaceId)))
      .get();

  async function findRepeat(workspaceId: string, idempotencyKey: string, bodyHash: string | undefined): Promise<Repeat | undefined> {
    const prior = await db
      .select()
      .from(jobs)
      .where(and(eq(jobs.workspaceId, workspaceId), eq(jobs.idempotencyKey, idempotencyKey)))
      .get();
    if (!prior) return undefined;
    return prior.bodyHash === bodyHash ? { kind: 'existing', job: prior } : { kind: 'conflict' };
  }

  /**
   * Statements appending rows after the job's last sequence number (the
   * entry's index in the batch added to it), for the caller to run in one
   * batch with whatever must commit with them. Sequence numbers are read
   * inside the transaction, so concurrent appends never share one.
   */
  function insertRows(jobId: string, newRows: NewRow[], now: number) {
    return [
      db.run(
        batchSql(
          newRows,
          // Input and state go as strings: SQLite takes them as they are instead of parsing and re-serialising each.
          (r) => ({
            key: r.key,
            input: jsonText(r.input),
            status: r.status,
            errorCode: r.errorCode ?? null,
            errorMessage: r.errorMessage ?? null,
            state: r.state ? jsonText(r.state) : null,
            purchases: r.purchases ? jsonText(r.purchases) : null,
          }),
          sql`INSERT INTO rows (job_id, seq, key, input, status, error_code, error_message, state, purchases, attempts, run_at, updated_at)
            SELECT ${jobId}, (SELECT next_seq FROM jobs WHERE id = ${jobId}) + i,
              e ->> '$.key', e ->> '$.input', e ->> '$.status', e ->> '$.errorCode', e ->> '$.errorMessage', e ->> '$.state',
              e ->> '$.purchases', 0, ${now}, ${now}
            FROM batch`,
        ),
      ),
      db.run(sql`UPDATE jobs SET next_seq = next_seq + ${newRows.length} WHERE id = ${jobId}`),
    ] as const;
  }

  return {
    async create(input, now) {
      const record = {
        id: input.id,
        workspaceId: input.workspaceId,
        fields: input.fields,
        pipeline: input.pipeline ?? null,
        status: 'running' as const,
        maxCostUsd: input.maxCostUsd ?? null,
        costUsd: 0,
        nextSeq: 0,
        idempotencyKey: input.idempotencyKey ?? null,
        bodyHash: input.bodyHash ?? null,
        createdAt: now,
        finishedAt: null,
        freshnessMs: input.freshnessMs ?? null,
      };
      try {
        await db.batch([db.insert(jobs).values(record), ...insertRows(input.id, input.rows, now)]);
      } catch (err) {
        const prior = input.idempotencyKey ? await findRepeat(input.workspaceId, input.idempotencyKey, input.bodyHash) : undefined;
        if (prior) return prior;
        throw err;
      }
      return { kind: 'created', job: record };
    },

    async append(jobId, newRows, now) {
      try {
        await db.batch([
          ...insertRows(jobId, newRows, now),
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
    },

    find,
    findRepeat,

    async active(now) {
      // Both through the claim index (job_id, status, run_at): a probe or two a job.
      const found = await db
        .select({
          ...getTableColumns(jobs),
          due: sql<number>`EXISTS (SELECT 1 FROM rows WHERE rows.job_id = ${jobs.id} AND rows.status = 'pending' AND rows.run_at <= ${now})`,
          open: sql<number>`EXISTS (SELECT 1 FROM rows WHERE rows.job_id = ${jobs.id} AND rows.status IN ('pending', 'running'))`,
        })
        .from(jobs)
        .where(eq(jobs.status, 'running'))
        .orderBy(jobs.createdAt);
      return found.map((j) => ({ ...j, due: Number(j.due) === 1, open: Number(j.open) === 1 }));
    },

    async setBudget(jobId, maxCostUsd) {
      await db.update(jobs).set({ maxCostUsd }).where(eq(jobs.id, jobId));
    },

    async cancel(jobId, now) {
      await db
        .update(jobs)
        .set({ status: 'cancelled', finishedAt: now })
        .where(and(eq(jobs.id, jobId), eq(jobs.status, 'running')));
    },

    async finishIfDone(jobId, now) {
      const res = await db.run(sql`
        UPDATE jobs SET status = 'done', finished_at = ${now}
        WHERE id = ${jobId} AND status = 'running'
          AND NOT EXISTS (SELECT 1 FROM rows WHERE job_id = ${jobId} AND status IN ('pending', 'running'))`);
      return res.rowsAffected > 0;
    },
  };
}
