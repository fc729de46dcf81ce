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

/** One entry: what is held, where it is filed, and its neighbours in the order of use (older toward the head). */
class Entry {
  prev: Entry | undefined = undefined;
  next: Entry | undefined = undefined;
  constructor(
    public held: Held,
    readonly filed: Map<string, Entry>,
    readonly inputKey: string,
    readonly byProvider: Map<string, Map<string, Entry>>,
    readonly providerId: string,
    readonly workspaceId: string,
  ) {}
}

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
 * - Bounded: past `max` entries the least recently used goes. Entries are
 *   filed by workspace, provider and input key (no key string is built per
 *   lookup) and chained in the order they were last used: a hit moves its
 *   entry to the end of the chain, without touching the maps. A lookup that
 *   takes an answer worked out before (memoryEnrich.ts) moves nothing; it
 *   can only while nothing was kept or dropped since its entries last moved,
 *   so the order differs from the uses only among entries used since the
 *   last change, and an entry is dropped only on a change.
 * - `version` moves with every change to what get() answers, other than by
 *   time passing (trustedUntil says until when that holds).
 *
 * Per process: another server on the same database does not see this one's
 * entries. An answer held here is still right, since an answer is bought
 * only when no fresh one is cached (so a fresh one held here is the one the
 * database holds, unless two processes bought it at once); "none" may be
 * wrong for up to ABSENT_TTL_MS.
 */
export class HotCache {
  private readonly byWorkspace = new Map<string, Map<string, Map<string, Entry>>>();
  /** The least recently used entry, and the most. */
  private head: Entry | undefined;
  private tail: Entry | undefined;
  private count = 0;
  private changes = 0;

  constructor(readonly max = HOT_CACHE_ENTRIES) {}

  get size(): number {
    return this.count;
  }

  /** Moves whenever an entry is kept, replaced or dropped: get() answers for every key as before while it stands, until trustedUntil. */
  get version(): number {
    return this.changes;
  }

  /**
   * Until when (exclusive) get() answers for the key as it does now, while
   * `version` stands: when its answer goes stale (a millisecond early, which
   * only costs a lookup the long way), or its "none" is no longer trusted.
   */
  trustedUntil(workspaceId: string, key: CacheKey, freshSince: number, now: number): number {
    const entry = this.byWorkspace.get(workspaceId)?.get(key.providerId)?.get(key.inputKey);
    if (!entry) return -Infinity;
    const held = entry.held;
    return 'absentSince' in held ? held.absentSince + ABSENT_TTL_MS : held.fetchedAt + (now - freshSince);
  }

  /** The fresh answer held for the key, ABSENT if a recent read found none, or undefined if nothing is known. */
  get(workspaceId: string, key: CacheKey, freshSince: number, now: number): HotEntry | undefined {
    const entry = this.byWorkspace.get(workspaceId)?.get(key.providerId)?.get(key.inputKey);
    if (!entry) return undefined;
    const held = entry.held;
    if ('absentSince' in held) {
      if (now - held.absentSince >= ABSENT_TTL_MS) {
        this.drop(entry);
        return undefined;
      }
      this.use(entry);
      return ABSENT;
    }
    if (held.fetchedAt < freshSince) {
      this.drop(entry);
      return undefined;
    }
    this.use(entry);
    return held;
  }

  /** Keeps the answer, unless the one held for the key is newer. */
  set(workspaceId: string, key: CacheKey, answer: CachedAnswer): void {
    const entry = this.byWorkspace.get(workspaceId)?.get(key.providerId)?.get(key.inputKey);
    if (entry && 'fetchedAt' in entry.held && entry.held.fetchedAt > answer.fetchedAt) return;
    this.keep(entry, workspaceId, key, answer);
  }

  /** A read at `now` found no fresh answer for the key. Kept only where nothing is held: never over an answer. */
  setAbsent(workspaceId: string, key: CacheKey, now: number): void {
    const entry = this.byWorkspace.get(workspaceId)?.get(key.providerId)?.get(key.inputKey);
    if (entry && !('absentSince' in entry.held)) return;
    this.keep(entry, workspaceId, key, { absentSince: now });
  }

  private keep(entry: Entry | undefined, workspaceId: string, key: CacheKey, held: Held): void {
    this.changes++;
    if (entry) {
      entry.held = held;
      this.use(entry);
      return;
    }
    let byProvider = this.byWorkspace.get(workspaceId);
    if (!byProvider) this.byWorkspace.set(workspaceId, (byProvider = new Map()));
    let filed = byProvider.get(key.providerId);
    if (!filed) byProvider.set(key.providerId, (filed = new Map()));
    const added = new Entry(held, filed, key.inputKey, byProvider, key.providerId, workspaceId);
    filed.set(key.inputKey, added);
    this.append(added);
    this.count++;
    if (this.count > this.max) this.drop(this.head!);
  }

  /** Moves the entry to the end of the order: the most recently used. */
  private use(entry: Entry): void {
    if (entry === this.tail) return;
    this.unlink(entry);
    this.append(entry);
  }

  private drop(entry: Entry): void {
    this.changes++;
    this.unlink(entry);
    this.count--;
    entry.filed.delete(entry.inputKey);
    if (entry.filed.size > 0) return;
    entry.byProvider.delete(entry.providerId);
    if (entry.byProvider.size === 0) this.byWorkspace.delete(entry.workspaceId);
  }

  private append(entry: Entry): void {
    entry.prev = this.tail;
    entry.next = undefined;
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
  }

  private unlink(entry: Entry): void {
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.tail = entry.prev;
    entry.prev = entry.next = undefined;
  }
}
