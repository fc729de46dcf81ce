import DataLoader from 'dataloader';
import type { CacheKey, CachedAnswer, CachedAnswers } from '../storage/cache.js';

export type ReadCache = (workspaceId: string, keys: CacheKey[], freshSince: number) => Promise<CachedAnswers>;

/**
 * The cache look-ups of one event-loop turn, collected into one query per
 * workspace (DataLoader, one per workspace): a claimed batch of a thousand
 * rows costs one read, not a thousand. A turn, not a tick: rows started
 * together reach their look-ups over several microtask hops. No memo
 * (`cache: false`): the cache changes as answers are bought, and the caller
 * keeps its own recent answers.
 */
export class CacheLoader {
  private readonly loaders = new Map<string, DataLoader<CacheKey, CachedAnswer | undefined>>();

  constructor(
    private readonly read: ReadCache,
    private readonly freshSince: () => number,
  ) {}

  get(workspaceId: string, key: CacheKey): Promise<CachedAnswer | undefined> {
    let loader = this.loaders.get(workspaceId);
    if (!loader) {
      loader = new DataLoader(
        async (keys) => {
          const found = await this.read(workspaceId, [...keys], this.freshSince());
          return keys.map((k) => found.get(k));
        },
        { cache: false, batchScheduleFn: (run) => setImmediate(run) },
      );
      this.loaders.set(workspaceId, loader);
    }
    return loader.load(key);
  }
}
