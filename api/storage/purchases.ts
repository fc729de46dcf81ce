import DataLoader from 'dataloader';
import { sql } from 'drizzle-orm';
import type { CachedAnswer } from './cache.js';
import type { Db } from './db.js';
import { jsonText } from './jsonText.js';
import { DB_NOW_MS } from './members.js';
import { parseJson } from './schema/json.js';

/**
 * Purchases claimed across the cluster (schema/purchases.ts): before buying
 * an answer, an instance claims its key; another instance about to buy the
 * same answer finds the claim and waits for the stored answer instead.
 *
 * Every statement here takes many keys: the claims, looks and releases of one
 * event-loop turn go as one statement (DataLoader, as the cache reads do), so
 * a bulk job's thousand purchases cost a few round trips, not a thousand.
 * Times are the database's clock, as for members.
 */

export interface PurchaseKey {
  workspaceId: string;
  providerId: string;
  inputKey: string;
}

/**
 * Where a key stands: `stored`, the answer is in the cache (nothing to buy);
 * `mine`, this instance holds the claim and buys; `held`, a live member holds
 * an unexpired claim: wait for its answer; `free` (from look() only), nobody
 * holds a valid claim: claim it.
 */
export type ClaimState = { kind: 'stored'; answer: CachedAnswer } | { kind: 'mine' } | { kind: 'held'; holder: string } | { kind: 'free' };

export interface PurchasesStore {
  /**
   * Claims each key for `holder` unless its answer is stored (fresh since
   * `freshSince`) or a live member holds an unexpired claim on it; one
   * round trip. A claim this holder already has is renewed.
   */
  claim(keys: (PurchaseKey & { ttlMs: number })[], holder: string, deadAfterMs: number, freshSince: number): Promise<ClaimState[]>;
  /** Where the keys stand, without claiming: a read, never `mine` (a claim of this holder's own left behind reads `free`). */
  look(keys: PurchaseKey[], holder: string, deadAfterMs: number, freshSince: number): Promise<ClaimState[]>;
  /** Pushes back the expiry of the holder's claims on these keys. */
  renew(keys: PurchaseKey[], holder: string, ttlMs: number): Promise<void>;
  /** Removes the holder's claims on these keys (claims since taken over by another are left alone). */
  release(keys: PurchaseKey[], holder: string): Promise<void>;
}

type StateRow = [
  index: number,
  holder: string | null,
  valid: number | null,
  outcome: CachedAnswer['outcome'] | null,
  values: CachedAnswer['values'] | null,
  fetchedAt: number | null,
];

/** A live member: heard from within the dead-after time (members.ts). */
const liveMembers = (deadAfterMs: number) => sql`SELECT id FROM members WHERE heartbeat_at >= ${DB_NOW_MS} - ${deadAfterMs}`;

export function purchasesStore(db: Db): PurchasesStore {
  /** Each key's claim (its holder and whether it still holds) and stored answer, in the keys' order. */
  const stateOf = (keysJson: string, deadAfterMs: number, freshSince: number) => sql`
    SELECT json_group_array(json_array(j.key, p.holder,
             p.expires_at >= ${DB_NOW_MS} AND p.holder IN (${liveMembers(deadAfterMs)}),
             c.outcome, json(c."values"), c.fetched_at))
    FROM json_each(${keysJson}) j
    LEFT JOIN purchases p ON p.workspace_id = j.value ->> '$.workspaceId' AND p.provider_id = j.value ->> '$.providerId' AND p.input_key = j.value ->> '$.inputKey'
    LEFT JOIN cache c ON c.workspace_id = j.value ->> '$.workspaceId' AND c.provider_id = j.value ->> '$.providerId' AND c.input_key = j.value ->> '$.inputKey'
      AND c.fetched_at >= ${freshSince}`;

  function states(raw: string | null | undefined, n: number, holder: string, claimed: boolean): ClaimState[] {
    const out: ClaimState[] = new Array(n);
    for (const [i, by, valid, outcome, values, fetchedAt] of parseJson<StateRow[]>(raw ?? '[]')) {
      if (outcome) out[i] = { kind: 'stored', answer: { outcome, values: values ?? {}, fetchedAt: Number(fetchedAt) } };
      // Just claimed (or renewed) by the upsert before this read.
      else if (claimed && by === holder) out[i] = { kind: 'mine' };
      else if (by !== null && by !== holder && Number(valid) === 1) out[i] = { kind: 'held', holder: by };
      // A claim of this holder's own that it failed to release is free to it too. Claimed by nobody, or by a dead or expired holder, and not stored: free to take. After a claim that did not
      // take it (released and not stored between the two statements), it is looked at again.
      else out[i] = claimed ? { kind: 'held', holder: by ?? '' } : { kind: 'free' };
    }
    return out;
  }

  const keysJson = (keys: PurchaseKey[]) => jsonText(keys.map(({ workspaceId, providerId, inputKey }) => ({ workspaceId, providerId, inputKey })));

  return {
    async claim(keys, holder, deadAfterMs, freshSince) {
      const json = jsonText(keys.map(({ workspaceId, providerId, inputKey, ttlMs }) => ({ workspaceId, providerId, inputKey, ttlMs })));
      // `WHERE NOT EXISTS` also tells SQLite's parser that ON CONFLICT starts the upsert. An answer stored meanwhile
      // (its holder released the claim after its commit) is not claimed: the read below hands it over instead.
      const [, read] = await db.batch([
        db.run(sql`
          INSERT INTO purchases (workspace_id, provider_id, input_key, holder, expires_at)
          SELECT j.value ->> '$.workspaceId', j.value ->> '$.providerId', j.value ->> '$.inputKey', ${holder},
                 ${DB_NOW_MS} + CAST(j.value ->> '$.ttlMs' AS INTEGER)
          FROM json_each(${json}) j
          WHERE NOT EXISTS (SELECT 1 FROM cache c WHERE c.workspace_id = j.value ->> '$.workspaceId' AND c.provider_id = j.value ->> '$.providerId'
                              AND c.input_key = j.value ->> '$.inputKey' AND c.fetched_at >= ${freshSince})
          ON CONFLICT (workspace_id, provider_id, input_key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
          WHERE purchases.holder = excluded.holder OR purchases.expires_at < ${DB_NOW_MS} OR purchases.holder NOT IN (${liveMembers(deadAfterMs)})`),
        db.values<[string | null]>(stateOf(json, deadAfterMs, freshSince)),
      ]);
      return states((read as [string | null][])[0]?.[0], keys.length, holder, true);
    },

    async look(keys, holder, deadAfterMs, freshSince) {
      const [row] = await db.values<[string | null]>(stateOf(keysJson(keys), deadAfterMs, freshSince));
      return states(row?.[0], keys.length, holder, false);
    },

    async renew(keys, holder, ttlMs) {
      await db.run(sql`
        UPDATE purchases SET expires_at = ${DB_NOW_MS} + ${Math.round(ttlMs)}
        WHERE holder = ${holder} AND (workspace_id, provider_id, input_key) IN
          (SELECT value ->> '$.workspaceId', value ->> '$.providerId', value ->> '$.inputKey' FROM json_each(${keysJson(keys)}))`);
    },

    async release(keys, holder) {
      await db.run(sql`
        DELETE FROM purchases
        WHERE holder = ${holder} AND (workspace_id, provider_id, input_key) IN
          (SELECT value ->> '$.workspaceId', value ->> '$.providerId', value ->> '$.inputKey' FROM json_each(${keysJson(keys)}))`);
    },
  };
}

/** The purchase claims of one member, as the caller uses them: one key at a time, sent a turn's worth at once. */
export interface PurchaseClaims {
  claim(key: PurchaseKey, ttlMs: number): Promise<ClaimState>;
  look(key: PurchaseKey): Promise<ClaimState>;
  renew(key: PurchaseKey, ttlMs: number): Promise<void>;
  release(key: PurchaseKey): Promise<void>;
}

export interface PurchaseClaimsOptions {
  /** This member's id (the engine's worker id). */
  holder: string;
  /** A holder not heard from for this long is dead (the cluster's timing): its claims may be taken over. */
  deadAfterMs: number;
  /** Answers stored before this are stale: they do not count as stored. */
  freshSince(): number;
}

/**
 * Batches one member's claims, looks and releases per event-loop turn (one
 * statement each), as the cache reads are (cacheLoader.ts). Renewals are
 * rare (a purchase outlasting half its claim) and go one by one.
 */
export function purchaseClaims(store: PurchasesStore, { holder, deadAfterMs, freshSince }: PurchaseClaimsOptions): PurchaseClaims {
  const batched = { cache: false, batchScheduleFn: (run: () => void) => setImmediate(run) } as const;
  const claims = new DataLoader<PurchaseKey & { ttlMs: number }, ClaimState>((keys) => store.claim([...keys], holder, deadAfterMs, freshSince()), batched);
  const looks = new DataLoader<PurchaseKey, ClaimState>((keys) => store.look([...keys], holder, deadAfterMs, freshSince()), batched);
  const releases = new DataLoader<PurchaseKey, void>(async (keys) => {
    await store.release([...keys], holder);
    return keys.map(() => undefined);
  }, batched);
  return {
    claim: (key, ttlMs) => claims.load({ ...key, ttlMs }),
    look: (key) => looks.load(key),
    renew: (key, ttlMs) => store.renew([key], holder, ttlMs),
    release: (key) => releases.load(key),
  };
}
