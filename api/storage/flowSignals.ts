import { sql } from 'drizzle-orm';
import type { FlowSignalsStore } from '../flow/clusterFlow.js';
import type { Db } from './db.js';
import { DB_NOW_MS } from './members.js';

interface CutRow {
  provider_id: string;
  concurrency: number;
  rate_per_second: number | null;
  jitter_ms: number | null;
}

/** Cuts older than this are not news to a member that reads for the first time: AIMD has moved on since. */
const CUT_NEWS_MS = 60_000;

/**
 * What providers told one member, shared with the cluster (schema/flowSignals.ts).
 * Times are written and compared on the database's clock, and pauses read
 * back as the ms left: members whose clocks disagree still pause together.
 * Straight to the database, like members: rare writes, one small read per poll.
 */
export function flowSignalsStore(db: Db): FlowSignalsStore {
  return {
    async recordPause(providerId, ms) {
      await db.run(sql`
        INSERT INTO provider_pauses (provider_id, paused_until) VALUES (${providerId}, ${DB_NOW_MS} + ${Math.ceil(ms)})
        ON CONFLICT (provider_id) DO UPDATE SET paused_until = max(paused_until, excluded.paused_until)`);
    },

    async recordCut(providerId, cut, memberId) {
      await db.run(sql`
        INSERT INTO provider_cuts (provider_id, concurrency, rate_per_second, jitter_ms, cut_at, member_id)
        VALUES (${providerId}, ${cut.concurrency}, ${cut.ratePerSecond ?? null}, ${cut.jitterMs ?? null}, ${DB_NOW_MS}, ${memberId})
        ON CONFLICT (provider_id) DO UPDATE SET
          concurrency = excluded.concurrency, rate_per_second = excluded.rate_per_second, jitter_ms = excluded.jitter_ms,
          cut_at = excluded.cut_at, member_id = excluded.member_id`);
    },

    async read(memberId, since) {
      const [pauses, cuts, now] = await db.batch([
        db.all<{ provider_id: string; remaining: number }>(sql`
          SELECT provider_id, paused_until - ${DB_NOW_MS} AS remaining FROM provider_pauses WHERE paused_until > ${DB_NOW_MS}`),
        db.all<CutRow>(sql`
          SELECT provider_id, concurrency, rate_per_second, jitter_ms FROM provider_cuts
          WHERE cut_at > max(${since}, ${DB_NOW_MS} - ${CUT_NEWS_MS}) AND member_id != ${memberId}`),
        db.all<{ at: number }>(sql`SELECT ${DB_NOW_MS} AS at`),
      ]);
      return {
        pauses: (pauses as { provider_id: string; remaining: number }[]).map((r) => ({ providerId: r.provider_id, remainingMs: Number(r.remaining) })),
        cuts: (cuts as CutRow[]).map((r) => ({
          providerId: r.provider_id,
          concurrency: r.concurrency,
          ...(r.rate_per_second === null ? {} : { ratePerSecond: r.rate_per_second }),
          ...(r.jitter_ms === null ? {} : { jitterMs: r.jitter_ms }),
        })),
        at: Number((now as { at: number }[])[0]!.at),
      };
    },
  };
}
