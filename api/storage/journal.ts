import type { InStatement } from '@libsql/client';
import { CommitsStalled, isTransientFailure } from './transientFailure.js';

/**
 * One kind of journal entry, and how a flush writes any number of them: a
 * few statements whatever the count (a JSON array bound once and walked with
 * json_each), so a flush costs the same to prepare for one entry as for a
 * thousand. Plain SQL, not query builders: the statements cross to the
 * writer thread as they are.
 *
 * Invariant: committing the same entries twice MUST leave answers, calls,
 * what they cost and rows' progress as committing them once. A commit to a
 * remote server whose answer the network lost may have gone through, and the
 * journal sends it again. (Cache-hit counters, a metric, may count twice.)
 */
export interface EntryKind<T> {
  statements(entries: T[]): InStatement[];
}

/** Commits statements as one transaction (Database.commit). */
export type Commit = (statements: InStatement[]) => Promise<void>;

interface PendingCommit {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function newCommit(): PendingCommit {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A commit nobody awaits (a cache-hit count) must not crash the process when it fails; awaiting callers still see the error.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

export interface JournalOptions {
  /**
   * Least time from the start of one commit to the start of the next. A
   * commit costs about the same for one entry as for a hundred (the hand-over
   * to the writer thread, the transaction, the pages written), and under a
   * bulk job committing every turn meant some 500 commits a second and a
   * tenth of the main thread. So under load entries gather this long; after a
   * quiet spell a write commits in the next turn. Keep it short: an answer
   * bought but not yet committed is lost to a crash and bought again.
   */
  minGapMs?: number | (() => number);
  /**
   * The gap instead, for a commit carrying an entry someone is waiting on
   * (written with `soon`: a real-time lookup's answer): everything gathered
   * goes with it. Default: as minGapMs.
   */
  soonGapMs?: number;
  /** Waits before trying a commit again that failed for a passing reason (a lock, a full disk); the last repeats. */
  retryDelaysMs?: number[];
  /**
   * A commit outstanding this long counts as refused (`failing`) though no
   * answer came yet: a writer waiting out another connection's lock, a
   * database server that accepts and does not answer. Purchases stop on
   * `failing`, and every answer bought meanwhile would wait in memory,
   * uncommitted, for as long as the stall lasted.
   */
  stallMs?: number;
}

/**
 * Group commit. Writers hand in entries and wait; everything handed in
 * before the next commit starts commits in one transaction, and all of it
 * shares one promise that resolves only once the entries are durable. So
 * "store the answer, then use it" costs one shared transaction instead of
 * one each, and entries written together commit together.
 *
 * A commit refused for a passing reason (or lost on its way to a database
 * server, or on the way back) is not given up: its entries stay
 * first in line and are tried again, with what was written since, until the
 * database takes them; their writers wait. A bought answer is paid for, and
 * dropping it would mean buying it again. Any other refusal rejects the
 * writers of that commit.
 */
export class Journal {
  private queue = new Map<EntryKind<unknown>, unknown[]>();
  private pending: PendingCommit | undefined;
  /** The commit now out (or waiting to be tried again), until it settles. */
  private out: PendingCommit | undefined;
  private flushing: Promise<void> | null = null;
  private scheduled = false;
  private lastStart = -Infinity;
  /** When the commit now out started; Infinity while none is. */
  private outSince = Infinity;
  /** Commits refused in a row for a passing reason; 0 while commits go through. */
  private failures = 0;
  private readonly minGapMs: () => number;
  private readonly soonGapMs: number | undefined;
  /** The queue holds an entry written with `soon`. */
  private soon = false;
  /** The timer of the commit scheduled after the gap: a write with `soon` may bring it forward. */
  private timer: NodeJS.Timeout | undefined;
  private readonly retryDelaysMs: number[];
  private readonly stallMs: number;

  constructor(
    private readonly commit: Commit,
    // Retries stay within a second of each other: once the cause is gone, purchases resume at the next retry.
    { minGapMs = 4, soonGapMs, retryDelaysMs = [50, 100, 200, 400, 800, 1000], stallMs = 250 }: JournalOptions = {},
  ) {
    this.minGapMs = typeof minGapMs === 'number' ? () => minGapMs : minGapMs;
    this.soonGapMs = soonGapMs;
    this.retryDelaysMs = retryDelaysMs;
    this.stallMs = stallMs;
  }

  /**
   * Whether commits are being refused: the last one was, and waits to be
   * tried again, or the one under way has been out for stallMs. What is
   * written now may wait long, and nothing should be bought that needs it.
   * Read twice per purchase: while commits go through it costs a field read
   * (and a clock read while one is out).
   */
  get failing(): boolean {
    return this.failures > 0 || (this.outSince !== Infinity && performance.now() - this.outSince > this.stallMs);
  }

  /** Queues an entry for the next commit; `soon`: someone is waiting on it (see soonGapMs). */
  write<T>(kind: EntryKind<T>, entry: T, soon = false): Promise<void> {
    let list = this.queue.get(kind as EntryKind<unknown>);
    if (!list) this.queue.set(kind as EntryKind<unknown>, (list = []));
    list.push(entry);
    this.pending ??= newCommit();
    if (soon && !this.soon) {
      this.soon = true;
      // A commit waiting out the longer gap is brought forward (one waiting to be tried again is not).
      if (this.timer && this.failures === 0) {
        clearTimeout(this.timer);
        this.timer = undefined;
        this.scheduled = false;
      }
    }
    this.schedule();
    return this.pending.promise;
  }

  /**
   * Resolves when everything written before the call is committed, or was
   * refused for good; not later writes. Under steady writes, drain() can wait
   * for as long as they keep coming; this waits for at most two commits.
   */
  written(): Promise<void> {
    const last = this.pending ?? this.out;
    return last ? last.promise.catch(() => {}) : Promise.resolve();
  }

  /**
   * Resolves when everything written so far is committed (while commits are
   * refused, once they go through again). With `withinMs`, rejects with
   * CommitsStalled once that has passed first; the entries stay queued.
   */
  async drain(withinMs = Infinity): Promise<void> {
    if (withinMs !== Infinity) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CommitsStalled(`writes not committed within ${withinMs} ms`)), withinMs);
      });
      try {
        return await Promise.race([this.drain(), stalled]);
      } finally {
        clearTimeout(timer);
      }
    }
    while (this.flushing || this.queue.size > 0) {
      if (this.flushing) await this.flushing;
      else if (this.failing) await new Promise((r) => setTimeout(r, this.retryDelaysMs[0]));
      else await this.flush();
    }
  }

  private schedule(): void {
    // While a commit runs or waits to be retried, entries gather; flush() schedules the next one.
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    const go = () => {
      this.scheduled = false;
      this.timer = undefined;
      void this.flush();
    };
    const gap = this.soon ? (this.soonGapMs ?? this.minGapMs()) : this.minGapMs();
    const wait = this.failures > 0 ? this.retryDelaysMs[Math.min(this.failures, this.retryDelaysMs.length) - 1]! : this.lastStart + gap - performance.now();
    if (wait > 0) this.timer = setTimeout(go, wait);
    else setImmediate(go);
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.size === 0) return;
    const batch = this.queue;
    const commit = this.pending!;
    const soon = this.soon;
    this.soon = false;
    this.queue = new Map();
    this.pending = undefined;
    this.out = commit;
    this.lastStart = this.outSince = performance.now();
    this.flushing = (async () => {
      try {
        try {
          await this.commit([...batch].flatMap(([kind, entries]) => kind.statements(entries)));
        } finally {
          this.outSince = Infinity;
        }
        this.failures = 0;
        commit.resolve();
      } catch (err) {
        if (!isTransientFailure(err)) {
          this.failures = 0;
          commit.reject(err);
          return;
        }
        this.failures++;
        this.soon ||= soon;
        this.handBack(batch, commit);
      }
    })();
    await this.flushing;
    this.flushing = null;
    this.out = undefined;
    if (this.queue.size > 0) this.schedule();
  }

  /** Puts a refused commit's entries back ahead of what was written since; its writers resolve with the commit that takes them. */
  private handBack(batch: Map<EntryKind<unknown>, unknown[]>, commit: PendingCommit): void {
    const merged = new Map(batch);
    for (const [kind, entries] of this.queue) merged.set(kind, [...(merged.get(kind) ?? []), ...entries]);
    this.queue = merged;
    if (this.pending) this.pending.promise.then(commit.resolve, commit.reject);
    else this.pending = commit;
  }
}
