import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';

export interface ProviderFigures {
  providerId: string;
  calls: number;
  paidCalls: number;
  matches: number;
  noMatches: number;
  rateLimited: number;
  errors: number;
  costUsd: number;
  p50Ms: number | null;
  p95Ms: number | null;
  cacheHits: number;
}

/**
 * Per-provider figures from the call journal. Percentiles are nearest-rank
 * over answered calls, computed in SQL so no latency list crosses into JS.
 */
export async function providerMetrics(
  db: Db,
  workspaceId: string,
  since: number,
  jobId?: string,
): Promise<{ providers: ProviderFigures[]; overall: { p50Ms: number | null; p95Ms: number | null } }> {
  const jobFilter = jobId ? sql`AND job_id = ${jobId}` : sql``;
  const totals = await db.all<Omit<ProviderFigures, 'p50Ms' | 'p95Ms' | 'cacheHits'>>(sql`
    SELECT provider_id AS providerId, count(*) AS calls, sum(cost_usd > 0) AS paidCalls,
      sum(outcome = 'match') AS matches, sum(outcome = 'no_match') AS noMatches,
      sum(outcome = 'rate_limited') AS rateLimited, sum(outcome IN ('transient', 'permanent')) AS errors,
      total(cost_usd) AS costUsd
    FROM calls WHERE workspace_id = ${workspaceId} AND at >= ${since} ${jobFilter}
    GROUP BY provider_id`);
  // Each provider's answers, and all of them together under the id ''.
  const pct = await db.all<{ providerId: string; p50: number | null; p95: number | null }>(sql`
    WITH answered AS (
      SELECT provider_id, latency_ms FROM calls
      WHERE workspace_id = ${workspaceId} AND at >= ${since} AND outcome IN ('match', 'no_match') ${jobFilter})
    SELECT providerId,
      max(CASE WHEN rn = (n + 1) / 2 THEN latency_ms END) AS p50,
      max(CASE WHEN rn = (n * 95 + 99) / 100 THEN latency_ms END) AS p95
    FROM (
      SELECT providerId, latency_ms,
        row_number() OVER (PARTITION BY providerId ORDER BY latency_ms) AS rn,
        count(*) OVER (PARTITION BY providerId) AS n
      FROM (SELECT provider_id AS providerId, latency_ms FROM answered UNION ALL SELECT '', latency_ms FROM answered))
    GROUP BY providerId`);
  const hits = await db.all<{ providerId: string; hits: number }>(sql`
    SELECT provider_id AS providerId, sum(hits) AS hits FROM cache_hits
    WHERE workspace_id = ${workspaceId} AND day >= ${Math.floor(since / 86_400_000)} ${jobFilter}
    GROUP BY provider_id`);
  const byId = new Map<string, ProviderFigures>();
  const get = (id: string) => {
    let f = byId.get(id);
    if (!f) {
      f = { providerId: id, calls: 0, paidCalls: 0, matches: 0, noMatches: 0, rateLimited: 0, errors: 0, costUsd: 0, p50Ms: null, p95Ms: null, cacheHits: 0 };
      byId.set(id, f);
    }
    return f;
  };
  for (const t of totals) Object.assign(get(t.providerId), t);
  let overall = { p50Ms: null as number | null, p95Ms: null as number | null };
  for (const p of pct) {
    if (p.providerId === '') overall = { p50Ms: p.p50, p95Ms: p.p95 };
    else Object.assign(get(p.providerId), { p50Ms: p.p50, p95Ms: p.p95 });
  }
  for (const h of hits) get(h.providerId).cacheHits = h.hits;
  return { providers: [...byId.values()], overall };
}
