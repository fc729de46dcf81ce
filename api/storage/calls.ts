import { sql } from 'drizzle-orm';
import type { PeriodFigures } from '../engine/alerts.js';
import type { TallyRow } from '../engine/stats.js';
import { batchStatement } from './batch.js';
import type { Db } from './db.js';
import type { EntryKind } from './journal.js';

/**
 * The calls aggregate: the journal of provider requests, and the per-day
 * cache-hit counters. Both are written only through the journal
 * (recordedCalls, cacheHitCounts); the port reads the figures derived from them.
 */

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

export interface CacheHitCount {
  workspaceId: string;
  providerId: string;
  jobId: string;
  day: number;
  hits: number;
}

/** A provider's figures before any call: the start every window's sums build on. */
export const noFigures = (providerId: string): ProviderFigures => ({
  providerId,
  calls: 0,
  paidCalls: 0,
  matches: 0,
  noMatches: 0,
  rateLimited: 0,
  errors: 0,
  costUsd: 0,
  p50Ms: null,
  p95Ms: null,
  cacheHits: 0,
});

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

export interface CallsStore {
  /** Answers per (workspace, provider, segment) since `since`: the evidence the learned order starts from. */
  tallies(since: number): Promise<TallyRow[]>;
  /**
   * Per-provider figures of a workspace (or one of its jobs) since `since`.
   * Percentiles are nearest-rank over answered calls, computed in SQL so no
   * latency list crosses into JS.
   */
  metrics(
    workspaceId: string,
    since: number,
    jobId?: string,
  ): Promise<{ providers: ProviderFigures[]; overall: { p50Ms: number | null; p95Ms: number | null } }>;
  /**
   * Per provider and period of 24 hours before `now` (period 0 = the last 24 hours; a call exactly `periods` days
   * old is in the last period, as GET /v1/metrics counts it), the figures alerts and trends are computed from;
   * and per period, the verified matches: answers stored in the cache that period whose `person.emailStatus` is
   * `valid` (a verifier's word; the keyless email-check says `mx_ok` at best). The cache keeps one answer per
   * (provider, input): an answer bought again replaces the earlier one, and a cache hit buys nothing, so each
   * purchase of a verification counts once, in the period of the latest.
   */
  periods(workspaceId: string, now: number, periods: number): Promise<{ figures: PeriodFigures[]; verified: number[] }>;
  /** The workspaces with a call since `since`: those an alert could be in force for. */
  activeWorkspaces(since: number): Promise<string[]>;
}

export function callsStore(db: Db): CallsStore {
  return {
    async tallies(since) {
      const res = await db.all<{ ws: string; provider: string; segment: string; answered: number; matches: number; latency: number }>(sql`
        SELECT workspace_id AS ws, provider_id AS provider, segment, count(*) AS answered,
          sum(outcome = 'match') AS matches, sum(latency_ms) AS latency
        FROM calls WHERE at >= ${since} AND outcome IN ('match', 'no_match')
        GROUP BY workspace_id, provider_id, segment`);
      return res.map((r) => ({
        workspaceId: r.ws,
        providerId: r.provider,
        segment: r.segment,
        answered: r.answered,
        matches: r.matches,
        latencyMs: r.latency,
      }));
    },

    async metrics(workspaceId, since, jobId) {
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
          f = noFigures(id);
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
    },

    async periods(workspaceId, now, periods) {
      const DAY = 86_400_000;
      const since = now - periods * DAY;
      // ceil((now - at) / DAY) - 1 in integers: a call at `now` is in period 0, one at exactly now - 7 days in period 6.
      const period = (col: string) => sql.raw(`max(0, (${now} - ${col} + ${DAY - 1}) / ${DAY} - 1)`);
      const totals = await db.all<Omit<PeriodFigures, 'p95Ms'>>(sql`
        SELECT provider_id AS providerId, ${period('at')} AS period, count(*) AS calls,
          sum(outcome = 'match') AS matches, sum(outcome = 'no_match') AS noMatches, total(cost_usd) AS costUsd
        FROM calls WHERE workspace_id = ${workspaceId} AND at >= ${since}
        GROUP BY providerId, period`);
      const pct = await db.all<{ providerId: string; period: number; p95: number | null }>(sql`
        SELECT providerId, period, max(CASE WHEN rn = (n * 95 + 99) / 100 THEN latency_ms END) AS p95
        FROM (
          SELECT provider_id AS providerId, ${period('at')} AS period, latency_ms,
            row_number() OVER (PARTITION BY provider_id, ${period('at')} ORDER BY latency_ms) AS rn,
            count(*) OVER (PARTITION BY provider_id, ${period('at')}) AS n
          FROM calls WHERE workspace_id = ${workspaceId} AND at >= ${since} AND outcome IN ('match', 'no_match'))
        GROUP BY providerId, period`);
      const verifiedRows = await db.all<{ period: number; n: number }>(sql`
        SELECT ${period('fetched_at')} AS period, count(*) AS n FROM cache
        WHERE workspace_id = ${workspaceId} AND fetched_at >= ${since} AND outcome = 'match'
          AND json_extract("values", '$."person.emailStatus"') = 'valid'
        GROUP BY period`);
      const p95 = new Map(pct.map((p) => [`${p.providerId}\u0000${p.period}`, p.p95]));
      const verified = new Array<number>(periods).fill(0);
      for (const v of verifiedRows) if (v.period < periods) verified[v.period] = v.n;
      return {
        figures: totals.filter((t) => t.period < periods).map((t) => ({ ...t, p95Ms: p95.get(`${t.providerId}\u0000${t.period}`) ?? null })),
        verified,
      };
    },

    async activeWorkspaces(since) {
      const res = await db.all<{ ws: string }>(sql`SELECT DISTINCT workspace_id AS ws FROM calls WHERE at >= ${since}`);
      return res.map((r) => r.ws);
    },
  };
}

/**
 * Journal entries for provider requests; the trigger `calls_book_job_cost`
 * books what each cost on its job in the same transaction. Sending the same
 * entries again changes nothing: a commit whose answer a network error lost
 * may have gone through, and the journal sends it again.
 */
export const recordedCalls: EntryKind<JournaledCall> = {
  statements(entries) {
    // `WHERE true` tells SQLite's parser that ON CONFLICT starts the upsert, not a join constraint.
    return [
      batchStatement(
        entries,
        (c) => ({
          id: c.id,
          workspaceId: c.workspaceId,
          providerId: c.providerId,
          jobId: c.jobId,
          segment: c.segment,
          outcome: c.outcome,
          httpStatus: c.httpStatus,
          latencyMs: c.latencyMs,
          costUsd: c.costUsd,
          at: c.at,
        }),
        `INSERT INTO calls (call_id, workspace_id, provider_id, job_id, segment, outcome, http_status, latency_ms, cost_usd, at)
         SELECT e ->> '$.id', e ->> '$.workspaceId', e ->> '$.providerId', e ->> '$.jobId', e ->> '$.segment',
           e ->> '$.outcome', e ->> '$.httpStatus', e ->> '$.latencyMs', e ->> '$.costUsd', e ->> '$.at'
         FROM batch WHERE true
         ON CONFLICT (call_id) DO NOTHING`,
      ),
    ];
  },
};

/**
 * Adds to the per-day cache-hit counters. Not safe to commit twice: a commit
 * to a remote database sent again after a network error counts its hits
 * again. A metric, not money: left so rather than journal every hit.
 */
export const cacheHitCounts: EntryKind<CacheHitCount> = {
  statements(entries) {
    return [
      batchStatement(
        entries,
        (h) => ({ workspaceId: h.workspaceId, providerId: h.providerId, jobId: h.jobId, day: h.day, hits: h.hits }),
        `INSERT INTO cache_hits (workspace_id, provider_id, job_id, day, hits)
         SELECT e ->> '$.workspaceId', e ->> '$.providerId', e ->> '$.jobId', e ->> '$.day', e ->> '$.hits'
         FROM batch WHERE true
         ON CONFLICT (workspace_id, provider_id, job_id, day) DO UPDATE SET hits = hits + excluded.hits`,
      ),
    ];
  },
};
