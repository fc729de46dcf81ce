import { sql } from 'drizzle-orm';
import type { PausesStore } from '../flow/clusterFlow.js';
import type { Db } from './db.js';
import { DB_NOW_MS } from './members.js';

/**
 * Provider pauses shared by the cluster (schema/pauses.ts). The end of a
 * pause is written and compared on the database's clock, and read back as
 * the ms left: members whose clocks disagree still pause together. Straight
 * to the database, like members: rare writes, one small read per poll.
 */
export function pausesStore(db: Db): PausesStore {
  return {
    async record(providerId, ms) {
      await db.run(sql`
        INSERT INTO provider_pauses (provider_id, paused_until) VALUES (${providerId}, ${DB_NOW_MS} + ${Math.ceil(ms)})
        ON CONFLICT (provider_id) DO UPDATE SET paused_until = max(paused_until, excluded.paused_until)`);
    },

    async active() {
      const rows = await db.all<{ provider_id: string; remaining: number }>(sql`
        SELECT provider_id, paused_until - ${DB_NOW_MS} AS remaining FROM provider_pauses WHERE paused_until > ${DB_NOW_MS}`);
      return rows.map((r) => ({ providerId: r.provider_id, remainingMs: Number(r.remaining) }));
    },
  };
}
