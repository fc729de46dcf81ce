import { sql } from 'drizzle-orm';
import type { TallyRow } from '../../engine/stats.js';
import type { Db } from '../db.js';

/** Answers per (workspace, provider, segment) since `since`: the evidence the learned order starts from. */
export async function loadTallies(db: Db, since: number): Promise<TallyRow[]> {
  const res = await db.all<{ ws: string; provider: string; segment: string; answered: number; matches: number; latency: number }>(sql`
    SELECT workspace_id AS ws, provider_id AS provider, segment, count(*) AS answered,
      sum(outcome = 'match') AS matches, sum(latency_ms) AS latency
    FROM calls WHERE at >= ${since} AND outcome IN ('match', 'no_match')
    GROUP BY workspace_id, provider_id, segment`);
  return res.map((r) => ({ workspaceId: r.ws, providerId: r.provider, segment: r.segment, answered: r.answered, matches: r.matches, latencyMs: r.latency }));
}
