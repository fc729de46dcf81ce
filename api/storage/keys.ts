import { hash as digest, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from './db.js';
import { apiKeys, workspaces } from './schema/index.js';

/** The keys aggregate: workspaces and the API keys that open them. Only a key's SHA-256 is stored. */
export interface KeysStore {
  /** Stores a key's hash for a workspace (created if new). Given no key, makes a random one; returns it, the only time it is seen. */
  create(workspaceId: string, now: number, key?: string): Promise<string>;
  /** The workspace this key opens; undefined for a key never issued, or revoked. */
  workspaceOf(key: string): Promise<string | undefined>;
  /** Keys whose stored prefix starts with `prefix` (all, given ''): never the key itself. */
  list(prefix?: string): Promise<KeyListing[]>;
  /**
   * Deletes the key: the whole key, or the stored prefix of exactly one key.
   * Answers what was deleted, or `ambiguous` with the keys the prefix names.
   * This process refuses it at once; another process within KEY_CACHE_TTL_MS.
   */
  revoke(keyOrPrefix: string): Promise<{ revoked: KeyListing | undefined; ambiguous: KeyListing[] }>;
}

export interface KeyListing {
  prefix: string;
  workspaceId: string;
  createdAt: number;
}

/**
 * How long a key found in the database is trusted from memory. A key revoked
 * by another process (`npm run keys -- revoke` beside a running server) is
 * refused by this one within this time; one revoked through this process at
 * once.
 */
export const KEY_CACHE_TTL_MS = 10_000;
const KEY_CACHE_MAX = 10_000;

// The one-shot hash: a third of createHash's cost, and every request checks its key.
const hashKey = (key: string) => digest('sha256', key, 'hex');

/**
 * Valid keys recently found, by hash (the key itself is not kept), with the
 * time they were found. One per database, shared by every store on it, so a
 * revoke through any of them reaches every lookup of the process. Unknown
 * keys are not kept: a key created by another process opens at once, and
 * guessed keys cannot fill it. Bounded: past the cap the oldest goes.
 */
interface KeyCache {
  entries: Map<string, { workspaceId: string; at: number }>;
  /** Revokes so far: a read that saw one happen while it was out does not keep what it found (it may be the revoked key). */
  revokes: number;
}
const caches = new WeakMap<Db, KeyCache>();

export function keysStore(db: Db, now: () => number = Date.now): KeysStore {
  let shared = caches.get(db);
  if (!shared) caches.set(db, (shared = { entries: new Map(), revokes: 0 }));
  const keyCache = shared;
  const cache = shared.entries;
  const listing = { prefix: apiKeys.prefix, workspaceId: apiKeys.workspaceId, createdAt: apiKeys.createdAt };
  return {
    async create(workspaceId, createdAt, key = `csk_${randomBytes(32).toString('base64url')}`) {
      await db.batch([
        db.insert(workspaces).values({ id: workspaceId, createdAt }).onConflictDoNothing(),
        db
          .insert(apiKeys)
          .values({ hash: hashKey(key), workspaceId, prefix: key.slice(0, 8), createdAt })
          .onConflictDoNothing(),
      ]);
      return key;
    },
    async workspaceOf(key) {
      const hash = hashKey(key);
      const held = cache.get(hash);
      const t = now();
      if (held && t - held.at < KEY_CACHE_TTL_MS) return held.workspaceId;
      cache.delete(hash);
      const revokes = keyCache.revokes;
      const row = await db.select({ ws: apiKeys.workspaceId }).from(apiKeys).where(eq(apiKeys.hash, hash)).get();
      if (!row) return undefined;
      if (keyCache.revokes !== revokes) return row.ws;
      cache.set(hash, { workspaceId: row.ws, at: t });
      if (cache.size > KEY_CACHE_MAX) cache.delete(cache.keys().next().value!);
      return row.ws;
    },
    async list(prefix = '') {
      // A handful of keys per workspace: filtered here rather than with LIKE, whose % and _ a prefix may hold.
      return (await db.select(listing).from(apiKeys).orderBy(apiKeys.createdAt).all()).filter((k) => k.prefix.startsWith(prefix));
    },
    async revoke(keyOrPrefix) {
      const byHash = await db
        .select({ ...listing, hash: apiKeys.hash })
        .from(apiKeys)
        .where(eq(apiKeys.hash, hashKey(keyOrPrefix)))
        .all();
      const named =
        byHash.length > 0
          ? byHash
          : await db
              .select({ ...listing, hash: apiKeys.hash })
              .from(apiKeys)
              .where(eq(apiKeys.prefix, keyOrPrefix))
              .all();
      if (named.length !== 1) return { revoked: undefined, ambiguous: named.map(({ hash: _, ...k }) => k) };
      const { hash, ...revoked } = named[0]!;
      await db.delete(apiKeys).where(eq(apiKeys.hash, hash));
      keyCache.revokes++;
      cache.delete(hash);
      return { revoked, ambiguous: [] };
    },
  };
}
