import DataLoader from 'dataloader';
import type { CacheKey, CachedAnswer, CachedAnswers } from '../storage/cache.js';
import { ABSENT, HotCache, type HotEntry } from './hotCache.js';

export type ReadCache = (workspaceId: string, keys: CacheKey[], freshSince: number) => Promise<CachedAnswers>;

/**
 * The cache look-ups of one event-loop turn, collected into one query per
 * workspace (DataLoader, one per workspace): a claimed batch of a thousand
 * rows costs one read, not a thousand. A turn, not a tick: rows started
 * together reach their look-ups over several microtask hops. No memo
 * (`cache: false`): the cache changes as answers are bought, and the caller
 * keeps its own recent answers.
 *
 * In front of the reads, the hot cache (hotCache.ts): an answer read or
 * stored recently is answered from memory. What a read finds (or that it
 * found none) goes into it; the engine puts each stored answer into it once
 * committed (`remember`).
 */
export class CacheLoader {
  private readonly loaders = new Map<string, DataLoader<CacheKey, CachedAnswer | undefined>>();

  constructor(
    private readonly read: ReadCache,
    private readonly freshSince: () => number,
    private readonly now: () => number = Date.now,
    readonly hot = new HotCache(),
  ) {}

  /** What memory knows of the key (the fresh answer, ABSENT, or undefined: nothing): no database read, no promise. */
  peek(workspaceId: string, key: CacheKey): HotEntry | undefined {
    return this.hot.get(workspaceId, key, this.freshSince(), this.now());
  }

  /** See HotCache.version. */
  get version(): number {
    return this.hot.version;
  }

  /** Until when (exclusive) peek() answers for the key as it does now, while `version` stands (HotCache.trustedUntil). */
  trustedUntil(workspaceId: string, key: CacheKey): number {
    return this.hot.trustedUntil(workspaceId, key, this.freshSince(), this.now());
  }

  /** An answer committed to the cache: lookups find it in memory from now on. */
  remember(workspaceId: string, key: CacheKey, answer: CachedAnswer): void {
    this.hot.set(workspaceId, key, answer);
  }

  /** The answer memory holds for the key, if any: no database read. */
  known(workspaceId: string, key: CacheKey): CachedAnswer | undefined {
    const held = this.peek(workspaceId, key);
    return held === ABSENT ? undefined : held;
  }

  get(workspaceId: string, key: CacheKey): Promise<CachedAnswer | undefined> {
    // ABSENT is read again: a read is what finds an answer another process stored.
    const held = this.known(workspaceId, key);
    if (held) return Promise.resolve(held);
    let loader = this.loaders.get(workspaceId);
    if (!loader) {
      loader = new DataLoader(
        async (keys) => {
          const at = this.now();
          const found = await this.read(workspaceId, [...keys], this.freshSince());
          return keys.map((k) => {
            const answer = found.get(k);
            if (answer) this.hot.set(workspaceId, k, answer);
            else this.hot.setAbsent(workspaceId, k, at);
            return answer;
          });
        },
        { cache: false, batchScheduleFn: (run) => setImmediate(run) },
      );
      this.loaders.set(workspaceId, loader);
    }
    return loader.load(key);
  }
}
