import { cacheHitCounts, type CacheHitCount } from '../storage/calls.js';
import type { Journal } from '../storage/journal.js';
import type { Clock } from '../clock.js';

const DAY = 86_400_000;
const FLUSH_EVERY_MS = 1000;

/**
 * Cache hits, counted in memory per workspace, provider, job and day, and
 * handed to the journal once a second: a rerun hits the cache thousands of
 * times a second, and a journal entry each would cost more than the answers.
 * Counts not yet flushed are lost to a crash; they are a metric, not money.
 */
export class HitCounter {
  private counts = new Map<string, CacheHitCount>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly journal: Journal,
    private readonly clock: Clock,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
    /** Told of every hit as it is counted (GET /metrics), before the once-a-second flush. */
    private readonly onCount: (providerId: string, n: number) => void = () => {},
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), FLUSH_EVERY_MS);
  }

  /** Stops the timer and hands what is counted to the journal. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  count(workspaceId: string, providerId: string, jobId: string | null, n = 1): void {
    this.onCount(providerId, n);
    const day = Math.floor(this.clock.now() / DAY);
    const key = `${workspaceId}\0${providerId}\0${jobId ?? ''}\0${day}`;
    const h = this.counts.get(key);
    if (h) h.hits += n;
    else this.counts.set(key, { workspaceId, providerId, jobId: jobId ?? '', day, hits: n });
  }

  /**
   * Resolves once the counts so far are committed (or, on a refused commit,
   * logged as lost), or once `withinMs` has passed: the counts then commit
   * later, with the journal.
   */
  async flush(withinMs = Infinity): Promise<void> {
    const batch = [...this.counts.values()];
    this.counts = new Map();
    let committed = Promise.resolve();
    for (const h of batch) committed = this.journal.write(cacheHitCounts, h);
    const logged = committed.catch((err) => this.log('cache hit count lost', { err: String(err) }));
    if (withinMs === Infinity) return logged;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([logged, new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)))]);
    clearTimeout(timer);
  }
}
