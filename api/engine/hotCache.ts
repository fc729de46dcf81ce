import type { CacheKey, CachedAnswer } from '../storage/cache.js';

/** How many entries are kept: at a few hundred bytes each, a few MB (the 100,000-row RSS bench keeps its bound). */
export const HOT_CACHE_ENTRIES = 20_000;
/**
 * How long "the database holds no answer for this key" is trusted. Only
 * another process storing an answer (two servers on one database) makes it
 * wrong without this process knowing; this bounds for how long.
 */
export const ABSENT_TTL_MS = 60_000;

/** What a hot cache entry says: the answer, that the database had none when last read, or nothing known (undefined). */
export const ABSENT = Symbol('absent');
export type HotEntry = CachedAnswer | typeof ABSENT;

type Held = CachedAnswer | { absentSince: number };

/**
 * The answers looked up or stored most recently, in memory, by (workspace,
 * provider, input key), and the keys a read found no answer for: a cached
 * lookup is answered without a database read. The database stays the truth;
 * this holds a copy of some of it.
 *
 * Invariants:
 * - An answer held is what the database holds (or held moments ago) for its
 *   key: it is filled only from a cache read of that workspace and from an
 *   answer once its commit went through. Keys carry the workspace, so one
 *   workspace's answers are never another's.
 * - An older answer never replaces a newer one, and "none" never replaces an
 *   answer: a read that started before an answer was committed may return
 *   after it, with what it saw.
 * - Freshness holds as in the database: an answer fetched before
 *   `freshSince` is not returned (and is dropped). "None" is trusted for
 *   ABSENT_TTL_MS, and replaced by the next answer this process stores.
 * - Bounded: past `max` entries the least recently used goes (a Map keeps
 *   insertion order; a hit re-inserts its entry at the end).
 *
 * Per process: another server on the same database does not see this one's
 * entries. An answer held here is still right, since an answer is bought
 * only when no fresh one is cached (so a fresh one held here is the one the
 * database holds, unless two processes bought it at once); "none" may be
 * wrong for up to ABSENT_TTL_MS.
 */
export class HotCache {
  private readonly entries = new Map<string, Held>();

  constructor(readonly max = HOT_CACHE_ENTRIES) {}

  get size(): number {
    return this.entries.size;
  }

  /** The fresh answer held for the key, ABSENT if a recent read found none, or undefined if nothing is known. */
  get(workspaceId: string, key: CacheKey, freshSince: number, now: number): HotEntry | undefined {
    const k = keyOf(workspaceId, key);
    const held = this.entries.get(k);
    if (!held) return undefined;
    this.entries.delete(k);
    if ('absentSince' in held) {
      if (now - held.absentSince >= ABSENT_TTL_MS) return undefined;
      this.entries.set(k, held);
      return ABSENT;
    }
    if (held.fetchedAt < freshSince) return undefined;
    this.entries.set(k, held);
    return held;
  }

  /** Keeps the answer, unless the one held for the key is newer. */
  set(workspaceId: string, key: CacheKey, answer: CachedAnswer): void {
    const k = keyOf(workspaceId, key);
    const held = this.entries.get(k);
    if (held && 'fetchedAt' in held && held.fetchedAt > answer.fetchedAt) return;
    this.keep(k, answer);
  }

  /** A read at `now` found no fresh answer for the key. Kept only where nothing is held: never over an answer. */
  setAbsent(workspaceId: string, key: CacheKey, now: number): void {
    const k = keyOf(workspaceId, key);
    const held = this.entries.get(k);
    if (held && !('absentSince' in held)) return;
    this.keep(k, { absentSince: now });
  }

  private keep(k: string, held: Held): void {
    this.entries.delete(k);
    this.entries.set(k, held);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
}

const keyOf = (workspaceId: string, key: CacheKey) => `${workspaceId}\0${key.providerId}\0${key.inputKey}`;
