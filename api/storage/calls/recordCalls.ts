import type { InStatement } from '@libsql/client';
import type { EntryKind } from '../journal.js';

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

/** Journal entries for provider requests, and what they cost booked on their jobs in the same transaction. */
export const recordedCalls: EntryKind<CallRecord> = {
  statements(entries) {
    const batch = JSON.stringify(entries.map((c) => [c.workspaceId, c.providerId, c.jobId, c.segment, c.outcome, c.httpStatus, c.latencyMs, c.costUsd, c.at]));
    const spent = new Map<string, number>();
    for (const c of entries) if (c.jobId && c.costUsd > 0) spent.set(c.jobId, (spent.get(c.jobId) ?? 0) + c.costUsd);
    const stmts: InStatement[] = [
      {
        sql: `INSERT INTO calls (workspace_id, provider_id, job_id, segment, outcome, http_status, latency_ms, cost_usd, at)
              SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6, j.value ->> 7, j.value ->> 8
              FROM json_each(?) j`,
        args: [batch],
      },
    ];
    if (spent.size > 0) {
      stmts.push({
        sql: `UPDATE jobs SET cost_usd = cost_usd + (j.value ->> 1) FROM json_each(?) j WHERE jobs.id = j.value ->> 0`,
        args: [JSON.stringify([...spent])],
      });
    }
    return stmts;
  },
};
