import type { EntryKind } from '../journal.js';
import { jsonText } from '../jsonText.js';

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

/** A call as the journal writes it. `id` is made once, when the call is handed to the journal, not per commit attempt. */
export interface JournaledCall extends CallRecord {
  id: string;
}

/**
 * Journal entries for provider requests; the trigger `calls_book_job_cost`
 * books what each cost on its job in the same transaction. Sending the same
 * entries again changes nothing: a commit whose answer a network error lost
 * may have gone through, and the journal sends it again.
 */
export const recordedCalls: EntryKind<JournaledCall> = {
  statements(entries) {
    const batch = jsonText(entries.map((c) => [c.id, c.workspaceId, c.providerId, c.jobId, c.segment, c.outcome, c.httpStatus, c.latencyMs, c.costUsd, c.at]));
    // `WHERE true` tells SQLite's parser that ON CONFLICT starts the upsert, not a join constraint.
    return [
      {
        sql: `INSERT INTO calls (call_id, workspace_id, provider_id, job_id, segment, outcome, http_status, latency_ms, cost_usd, at)
              SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6, j.value ->> 7, j.value ->> 8, j.value ->> 9
              FROM json_each(?) j WHERE true
              ON CONFLICT (call_id) DO NOTHING`,
        args: [batch],
      },
    ];
  },
};
