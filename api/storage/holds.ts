import { sql } from 'drizzle-orm';
import type { CacheKey, CachedAnswer } from './cache.js';
import type { Db } from './db.js';
import { DB_NOW_MS } from './members.js';
import { parseJson } from './schema/json.js';

/**
 * Holds on purchases made outside any job (real-time lookups), so that two
 * instances do not buy one answer at once (schema: heldPurchases). A row's
 * purchases are held through its claim instead (rows.ts); both kinds stop
 * the other's purchase of the same key. Times are the database's clock.
 */

export interface PurchaseHold extends CacheKey {
  workspaceId: string;
}

/** What taking a hold found: this worker holds the key now; another does; or the answer is stored. */
export type HoldState = { kind: 'mine' } | { kind: 'held' } | { kind: 'stored'; answer: CachedAnswer };

export interface HoldsStore {
  /**
   * Takes the key for `worker` until `ttlMs` from now, or pushes its hold on,
   * unless another worker holds it (a running row's hold, or a lookup's not
   * run out) or an answer stored since `freshSince` is there; one round trip.
   */
  hold(key: PurchaseHold, worker: string, ttlMs: number, freshSince: number): Promise<HoldState>;
  /** Lets go of the worker's hold on the key (an answer stored has already ended it). */
  release(key: PurchaseHold, worker: string): Promise<void>;
}

export function holdsStore(db: Db): HoldsStore {
  const sameKey = (k: PurchaseHold) => sql`workspace_id = ${k.workspaceId} AND provider_id = ${k.providerId} AND input_key = ${k.inputKey}`;
  return {
    async hold(key, worker, ttlMs, freshSince) {
      const [, stored, mine] = await db.batch([
        db.run(sql`
          INSERT INTO held_purchases (workspace_id, provider_id, input_key, job_id, seq, worker, expires_at)
          SELECT ${key.workspaceId}, ${key.providerId}, ${key.inputKey}, '', 0, ${worker}, ${DB_NOW_MS} + ${ttlMs}
          WHERE NOT EXISTS (SELECT 1 FROM held_purchases WHERE ${sameKey(key)} AND worker != ${worker} AND (expires_at IS NULL OR expires_at > ${DB_NOW_MS}))
            AND NOT EXISTS (SELECT 1 FROM cache WHERE ${sameKey(key)} AND fetched_at >= ${freshSince})
          ON CONFLICT DO UPDATE SET worker = excluded.worker, expires_at = excluded.expires_at`),
        db.all<{ outcome: 'match' | 'no_match'; values: string; fetched_at: number }>(
          sql`SELECT outcome, "values", fetched_at FROM cache WHERE ${sameKey(key)} AND fetched_at >= ${freshSince}`,
        ),
        db.all<{ n: number }>(sql`SELECT 1 AS n FROM held_purchases WHERE ${sameKey(key)} AND job_id = '' AND worker = ${worker}`),
      ]);
      const answer = (stored as { outcome: 'match' | 'no_match'; values: string; fetched_at: number }[])[0];
      if (answer) return { kind: 'stored', answer: { outcome: answer.outcome, values: parseJson(answer.values), fetchedAt: answer.fetched_at } };
      return (mine as unknown[]).length > 0 ? { kind: 'mine' } : { kind: 'held' };
    },

    async release(key, worker) {
      await db.run(sql`DELETE FROM held_purchases WHERE ${sameKey(key)} AND job_id = '' AND worker = ${worker}`);
    },
  };
}
