import { and, eq } from 'drizzle-orm';
import type { Db } from '../db.js';
import { jobs } from '../schema/index.js';
import { insertRowsStatements } from './insertRows.js';
import type { JobRecord, NewRow } from './types.js';

export type CreateJobResult = { kind: 'created'; job: JobRecord } | { kind: 'existing'; job: JobRecord } | { kind: 'conflict' };

export interface CreateJobInput {
  id: string;
  workspaceId: string;
  fields: string[];
  maxCostUsd?: number;
  idempotencyKey?: string;
  bodyHash?: string;
  rows: NewRow[];
}

/** Creates a job and its first rows in one transaction; with an idempotency key, a repeat returns the first job. */
export async function createJob(db: Db, input: CreateJobInput, now: number): Promise<CreateJobResult> {
  const findSame = async (): Promise<CreateJobResult | undefined> => {
    if (!input.idempotencyKey) return undefined;
    const prior = await db
      .select()
      .from(jobs)
      .where(and(eq(jobs.workspaceId, input.workspaceId), eq(jobs.idempotencyKey, input.idempotencyKey)))
      .get();
    if (!prior) return undefined;
    return prior.bodyHash === input.bodyHash ? { kind: 'existing', job: prior } : { kind: 'conflict' };
  };
  const prior = await findSame();
  if (prior) return prior;
  const record = {
    id: input.id,
    workspaceId: input.workspaceId,
    fields: input.fields,
    status: 'running' as const,
    maxCostUsd: input.maxCostUsd ?? null,
    costUsd: 0,
    nextSeq: 0,
    idempotencyKey: input.idempotencyKey ?? null,
    bodyHash: input.bodyHash ?? null,
    createdAt: now,
    finishedAt: null,
  };
  try {
    await db.batch([db.insert(jobs).values(record), ...insertRowsStatements(db, input.id, input.rows, now)]);
  } catch (err) {
    // Two requests with one idempotency key raced; the loser answers with the winner's job.
    const raced = await findSame();
    if (raced) return raced;
    throw err;
  }
  return { kind: 'created', job: record };
}
