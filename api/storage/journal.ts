import type { BatchItem } from 'drizzle-orm/batch';
import type { Db } from './db.js';

type Pending = { items: BatchItem<'sqlite'>[]; resolve: () => void; reject: (err: unknown) => void };

/**
 * Group commit. Writers hand in statements and wait; everything handed in
 * during one turn of the event loop commits in one transaction. A caller's
 * promise resolves only after its statements are durable, so "store the answer,
 * then use it" costs one shared transaction instead of one each.
 */
export class Journal {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private scheduled = false;

  constructor(private readonly db: Db) {}

  write(...items: BatchItem<'sqlite'>[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when everything written so far is committed. */
  async drain(): Promise<void> {
    while (this.flushing || this.queue.length > 0) {
      if (this.flushing) await this.flushing;
      else await this.flush();
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    const items = batch.flatMap((p) => p.items);
    this.flushing = (async () => {
      try {
        await this.db.batch(items as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    })();
    await this.flushing;
    this.flushing = null;
    if (this.queue.length > 0) this.schedule();
  }
}
