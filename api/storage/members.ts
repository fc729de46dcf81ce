import { sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { jsonText } from './jsonText.js';

/**
 * The cluster's membership (schema/members.ts): the instances on this
 * database, each heartbeating its row. Small and written once a second per
 * instance, so its statements go straight to the database rather than
 * through the journal. Every time here is the database's clock, read in the
 * statement that compares it: members on machines whose clocks disagree
 * still agree on who is alive.
 */

/** The database's clock, in ms since the epoch. */
export const DB_NOW_MS = sql`CAST(unixepoch('subsec') * 1000 AS INTEGER)`;

export interface Member {
  /** The engine's worker id: the `locked_by` of what it leases. */
  id: string;
  host: string;
  pid: number;
  /** Where other members wake it, if it said (CASCADE_CLUSTER_URL). */
  url: string | null;
  /** When it joined, and when it was last heard from, on the database's clock. */
  startedAt: number;
  heartbeatAt: number;
}

export interface Membership {
  /** Members heard from within the dead-after time, this one included (oldest first). */
  live: Member[];
  /** Ids of members not heard from for longer: declared dead. */
  dead: string[];
}

export interface MembersStore {
  /**
   * Registers the member, or records its heartbeat, and reads the membership
   * as it stands; one round trip. A member whose row was removed (it was
   * declared dead, yet was only stalled) is registered again.
   */
  beat(self: Pick<Member, 'id' | 'host' | 'pid' | 'url'>, deadAfterMs: number): Promise<Membership>;
  /** Removes these members' rows if they are still dead; one heard from meanwhile keeps its row. */
  forget(ids: readonly string[], deadAfterMs: number): Promise<void>;
  /** Removes the member's row: a clean stop, nothing left to take over. */
  leave(id: string): Promise<void>;
}

export function membersStore(db: Db): MembersStore {
  return {
    async beat({ id, host, pid, url }, deadAfterMs) {
      type MemberRow = { id: string; host: string; pid: number; url: string | null; started_at: number; heartbeat_at: number; live: number };
      const [, all] = await db.batch([
        // The url with every beat: an instance learns its own once it listens, after its first beat.
        db.run(sql`
          INSERT INTO members (id, host, pid, url, started_at, heartbeat_at) VALUES (${id}, ${host}, ${pid}, ${url}, ${DB_NOW_MS}, ${DB_NOW_MS})
          ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, url = excluded.url`),
        db.all<MemberRow>(sql`
          SELECT id, host, pid, url, started_at, heartbeat_at, heartbeat_at >= ${DB_NOW_MS} - ${deadAfterMs} AS live
          FROM members ORDER BY started_at, id`),
      ]);
      const rows = all as MemberRow[];
      return {
        live: rows
          .filter((m) => Number(m.live) === 1)
          .map((m) => ({
            id: m.id,
            host: m.host,
            pid: Number(m.pid),
            url: m.url,
            startedAt: Number(m.started_at),
            heartbeatAt: Number(m.heartbeat_at),
          })),
        dead: rows.filter((m) => Number(m.live) !== 1).map((m) => m.id),
      };
    },

    async forget(ids, deadAfterMs) {
      if (ids.length === 0) return;
      await db.run(sql`
        DELETE FROM members WHERE id IN (SELECT value FROM json_each(${jsonText(ids)})) AND heartbeat_at < ${DB_NOW_MS} - ${deadAfterMs}`);
    },

    async leave(id) {
      await db.run(sql`DELETE FROM members WHERE id = ${id}`);
    },
  };
}
