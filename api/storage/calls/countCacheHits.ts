import type { EntryKind } from '../journal.js';
import { jsonText } from '../jsonText.js';

export interface CacheHitCount {
  workspaceId: string;
  providerId: string;
  jobId: string;
  day: number;
  hits: number;
}

/**
 * Adds to the per-day cache-hit counters. Not safe to commit twice: a commit
 * to a remote database sent again after a network error counts its hits
 * again. A metric, not money: left so rather than journal every hit.
 */
export const cacheHitCounts: EntryKind<CacheHitCount> = {
  statements(entries) {
    const batch = jsonText(entries.map((h) => [h.workspaceId, h.providerId, h.jobId, h.day, h.hits]));
    return [
      {
        sql: `INSERT INTO cache_hits (workspace_id, provider_id, job_id, day, hits)
              SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4
              FROM json_each(?) j WHERE true
              ON CONFLICT (workspace_id, provider_id, job_id, day) DO UPDATE SET hits = hits + excluded.hits`,
        args: [batch],
      },
    ];
  },
};
