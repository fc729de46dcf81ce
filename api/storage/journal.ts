import type { BatchItem } from 'drizzle-orm/batch';
import type { Db } from './db.js';

/**
 * One kind of journal entry, and how a flush writes any number of them: a
 * few statements whatever the count (a JSON array bound once and walked with
 * json_each), so a flush costs the same to prepare for one entry as for a
 * thousand.
 */
export interface EntryKind<T> {
  statements(db: Db, entries: T[]): BatchItem<'sqlite'>[];
}

interface Commit {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function newCommit(): Commit {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  // A commit nobody awaits (a cache-hit count) must not crash the process when it fails; awaiting callers still see the error.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/**
 * Group commit. Writers hand in entries and wait; everything handed in
 * during one turn of the event loop commits in one transaction, and all of
 * it shares one promise that resolves only once the entries are durable. So
 * "store the answer, then use it" costs one shared transaction instead of
 * one each, and entries written together in one turn commit together. No
 * longer wait than a turn: an answer bought but not yet committed is lost to
 * a crash and bought again.
 */
export class Journal {
  private queue = new Map<EntryKind<unknown>, unknown[]>();
  private commit: Commit | undefined;
  private flushing: Promise<void> | null = null;
  private scheduled = false;

  constructor(private readonly db: Db) {}

  write<T>(kind: EntryKind<T>, entry: T): Promise<void> {
    let list = this.queue.get(kind as EntryKind<unknown>);
    if (!list) this.queue.set(kind as EntryKind<unknown>, (list = []));
    list.push(entry);
    this.commit ??= newCommit();
    this.schedule();
    return this.commit.promise;
  }

  /** Resolves when everything written so far is committed. */
  async drain(): Promise<void> {
    while (this.flushing || this.queue.size > 0) {
      if (this.flushing) await this.flushing;
      else await this.flush();
    }
  }

  private schedule(): void {
    // While a commit runs, entries gather; flush() schedules the next one when it is done.
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.size === 0) return;
    const batch = this.queue;
    const commit = this.commit!;
    this.queue = new Map();
    this.commit = undefined;
    this.flushing = (async () => {
      try {
        const items = [...batch].flatMap(([kind, entries]) => kind.statements(this.db, entries));
        await this.db.batch(items as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
        commit.resolve();
      } catch (err) {
        commit.reject(err);
      }
    })();
    await this.flushing;
    this.flushing = null;
    if (this.queue.size > 0) this.schedule();
  }
}
