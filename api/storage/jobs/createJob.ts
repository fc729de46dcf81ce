import type { Field } from '../../../shared/index.js';
import type { Db } from '../db.js';
import { jobs } from '../schema/index.js';
import { findRepeat, type Repeat } from './findRepeat.js';
import { insertRowsStatements } from './insertRows.js';
import type { JobRecord, NewRow } from './types.js';

export type CreateJobResult = { kind: 'created'; job: JobRecord } | Repeat;

export interface CreateJobInput {
  id: string;
  workspaceId: string;
  fields: Field[];
  maxCostUsd?: number;
  idempotencyKey?: string;
  bodyHash?: string;
  rows: NewRow[];
}

/**
 * Creates a job and its first rows in one transaction; with an idempotency
 * key already used in the workspace, answers with that job instead (the
 * key's unique index decides, so two racing requests get one job).
 */
export async function createJob(db: Db, input: CreateJobInput, now: number): Promise<CreateJobResult> {
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
    const prior = input.idempotencyKey ? await findRepeat(db, input.workspaceId, input.idempotencyKey, input.bodyHash) : undefined;
    if (prior) return prior;
    throw err;
  }
  return { kind: 'created', job: record };
}
