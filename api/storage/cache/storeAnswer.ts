import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db.js';
import { cache, calls, jobs } from '../schema/index.js';

export interface CallRecord {
  workspaceId: string;
  providerId: string;
  jobId: string | null;
  segment: string;
  outcome: 'match' | 'no_match' | 'rate_limited' | 'transient' | 'permanent';
  httpStatus: number | null;
  latencyMs: number;
  costUsd: number;
  at: number;
}

/** The journal entry for one provider request, and the job's cost if it spent any. */
export function recordCallStatements(db: Db, call: CallRecord) {
  const stmts = [db.insert(calls).values(call)];
  if (call.jobId && call.costUsd > 0) {
    stmts.push(db.update(jobs).set({ costUsd: sql`${jobs.costUsd} + ${call.costUsd}` }).where(eq(jobs.id, call.jobId)) as never);
  }
  return stmts;
}

/** An answer, its cost and its journal entry: one checkpoint, committed together. */
export function storeAnswerStatements(db: Db, call: CallRecord & { inputKey: string; values: Record<string, unknown> }) {
  const { inputKey, values, ...record } = call;
  const answer = { outcome: call.outcome as 'match' | 'no_match', values, fetchedAt: call.at };
  return [
    db
      .insert(cache)
      .values({ workspaceId: call.workspaceId, providerId: call.providerId, inputKey, ...answer })
      .onConflictDoUpdate({ target: [cache.workspaceId, cache.providerId, cache.inputKey], set: answer }),
    ...recordCallStatements(db, record),
  ];
}
