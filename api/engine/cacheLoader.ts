import type { CacheKey, CachedAnswer, CachedAnswers } from '../storage/cache.js';

export type ReadCache = (workspaceId: string, keys: CacheKey[], freshSince: number) => Promise<CachedAnswers>;

type Waiting = { key: CacheKey; resolve: (a: CachedAnswer | undefined) => void; reject: (e: unknown) => void };

/**
 * Collects the cache look-ups of one event-loop turn into one query per
 * workspace: a claimed batch of a thousand rows costs one read, not a thousand.
 */
export class CacheLoader {
  private pending = new Map<string, Waiting[]>();
  private scheduled = false;

  constructor(
    private readonly read: ReadCache,
    private readonly freshSince: () => number,
  ) {}

  get(workspaceId: string, key: CacheKey): Promise<CachedAnswer | undefined> {
    return new Promise((resolve, reject) => {
      let list = this.pending.get(workspaceId);
      if (!list) this.pending.set(workspaceId, (list = []));
      list.push({ key, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batches = this.pending;
    this.pending = new Map();
    const since = this.freshSince();
    for (const [ws, waiting] of batches) {
      this.read(ws, waiting.map((w) => w.key), since).then(
        (found) => waiting.forEach((w) => w.resolve(found.get(w.key))),
        (err) => waiting.forEach((w) => w.reject(err)),
      );
    }
  }
}
