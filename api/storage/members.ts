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
  /**
   * Members heard from within the dead-after time, this one included (oldest
   * first); and, while this one has not been heard steadily for that long,
   * the ones not heard from either: a database that stopped answering
   * silences every member at once, and says nothing of who is alive.
   */
  live: Member[];
  /**
   * Ids of members not heard from for the dead-after time while this one was
   * heard steadily all along (see schema/members.ts, steadySince): declared dead.
   */
  dead: string[];
  /** This beat registered the member: its first, or it had been declared dead and forgotten. */
  registered: boolean;
  /**
   * Members heard steadily for the dead-after time since this one's previous
   * beat: any of them may have declared it dead meanwhile (and taken back
   * what it held, and grown into its share), though it was not forgotten yet.
   */
  missedBy: string[];
}

export interface MembersStore {
  /**
   * Registers the member, or records its heartbeat, and reads the membership
   * as it stands; one round trip. A member whose row was removed (it was
   * declared dead, yet was only stalled) is registered again.
   * `previousBeatAt`: the database's time of this member's previous beat, as
   * its last answer said (Member.heartbeatAt); without it, `missedBy` is empty.
   */
  beat(self: Pick<Member, 'id' | 'host' | 'pid' | 'url'>, deadAfterMs: number, previousBeatAt?: number): Promise<Membership>;
  /** Removes these members' rows if they are still dead; one heard from meanwhile keeps its row. */
  forget(ids: readonly string[], deadAfterMs: number): Promise<void>;
  /** Removes the member's row: a clean stop, nothing left to take over. */
  leave(id: string): Promise<void>;
}

export function membersStore(db: Db): MembersStore {
  return {
    async beat({ id, host, pid, url }, deadAfterMs, previousBeatAt) {
      type MemberRow = {
        id: string;
        host: string;
        pid: number;
        url: string | null;
        started_at: number;
        heartbeat_at: number;
        steady_since: number | null;
        now: number;
      };
      // Two beats further apart than this break a member's steady run: a beat or two late is steady, a database that
      // stopped answering for longer is not.
      const breakMs = deadAfterMs / 2;
      // The write first: a batch that read first would have to upgrade its transaction to write, and sqld refuses that
      // at once (SQLITE_BUSY) while another writes, where a write first waits its turn.
      const [upserted, all] = await db.batch([
        // The url with every beat: an instance learns its own once it listens, after its first beat. A row inserted
        // (not updated) has started_at = heartbeat_at: 'now' is one value within a statement.
        db.all<{ registered: number }>(sql`
          INSERT INTO members (id, host, pid, url, started_at, heartbeat_at, steady_since) VALUES (${id}, ${host}, ${pid}, ${url}, ${DB_NOW_MS}, ${DB_NOW_MS}, ${DB_NOW_MS})
          ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, url = excluded.url,
            steady_since = CASE WHEN members.heartbeat_at >= excluded.heartbeat_at - ${breakMs} THEN coalesce(members.steady_since, members.heartbeat_at) ELSE excluded.heartbeat_at END
          RETURNING started_at = heartbeat_at AS registered`),
        db.all<MemberRow>(sql`SELECT id, host, pid, url, started_at, heartbeat_at, steady_since, ${DB_NOW_MS} AS now FROM members ORDER BY started_at, id`),
      ]);
      const rows = (all as MemberRow[]).map((m) => ({
        member: { id: m.id, host: m.host, pid: Number(m.pid), url: m.url, startedAt: Number(m.started_at), heartbeatAt: Number(m.heartbeat_at) },
        steadySince: Number(m.steady_since ?? m.heartbeat_at),
        now: Number(m.now),
      }));
      const self = rows.find((m) => m.member.id === id)!;
      const now = self.now;
      // This member heard steadily through the dead-after time: another it did not hear from meanwhile is dead.
      const steady = self.steadySince <= now - deadAfterMs;
      const dead = steady ? rows.filter((m) => m.member.heartbeatAt < now - deadAfterMs).map((m) => m.member.id) : [];
      return {
        live: rows.filter((m) => !dead.includes(m.member.id)).map((m) => m.member),
        dead,
        registered: Number((upserted as { registered: number }[])[0]?.registered) === 1,
        missedBy:
          previousBeatAt === undefined
            ? []
            : rows.filter((m) => m.member.id !== id && m.member.heartbeatAt > Math.max(previousBeatAt, m.steadySince) + deadAfterMs).map((m) => m.member.id),
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
