import type { Client } from '@libsql/client';
import { isLockHeld, isTransientFailure } from './transientFailure.js';

/** The calls that run statements on the connection, and so may leave a refused one behind. */
const RUNS_STATEMENTS = new Set<PropertyKey>(['execute', 'batch', 'executeMultiple', 'migrate']);

/** Pauses between tries of a statement refused on a held lock; the last repeats. */
const LOCK_RETRY_MS = [5, 10, 25, 50, 100, 200, 250];
/**
 * Refusals on a lock less than this far apart are one episode of the lock
 * being held: the runner's claims and heartbeats keep meeting it while it
 * lasts, so a gap this long means someone got through.
 */
const EPISODE_GAP_MS = 1000;

const GAVE_UP = Symbol('gave up');
const delay = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, Math.max(0, ms));
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

export interface RenewingOptions {
  /**
   * How long statements wait out a lock held by another connection, counted
   * from the first refusal of the episode: past it, a statement refused on
   * the lock fails at once (the HTTP API answers 503), so a request never
   * waits longer than this on a lock however many statements it runs.
   */
  lockWaitMs: number;
}

/**
 * A client on an embedded database that waits out another connection's lock
 * without holding up the event loop, and replaces its connection once SQLite
 * refuses a statement for a passing reason.
 *
 * Waiting: a local statement runs synchronously on the event loop, so the
 * connection's own busy_timeout (see db.ts) is kept short, and a statement
 * refused on a lock is tried again after an asynchronous pause, until the
 * episode's lockWaitMs is spent. A refused statement did nothing (a batch is
 * rolled back whole), so trying it again is safe.
 *
 * Renewing: libsql keeps a refused statement open until it is
 * garbage-collected, and until then the connection's implicit transaction
 * stays open: COMMIT is refused ("cannot commit transaction - SQL statements
 * in progress"), and the next write that succeeds on it keeps the write lock
 * for as long as the garbage lives, and is rolled back when the connection
 * closes. One lock held a little too long stopped every writer in the
 * process, or lost a write that had answered. And a connection that met a
 * file made read-only (or opened while it was) stays read-only after the file
 * is writable again. So every passing refusal replaces the connection.
 *
 * Invariant: no statement runs on a connection after one was refused on it.
 * Calls run one after another, each once the one before has settled (they
 * are synchronous underneath, so this costs a microtask, not concurrency),
 * and a refusal starts the replacement before the next call begins; every
 * call waits for it. `open` makes a connection with its pragmas. Not for
 * `:memory:`, where a new connection is a new, empty database.
 */
export async function renewingClient(open: () => Promise<Client>, { lockWaitMs }: RenewingOptions): Promise<Client> {
  let current = await open();
  let renewing: Promise<void> | undefined;
  let closed = false;
  let lockedSince = -Infinity;
  let lastLocked = -Infinity;
  const renew = (): Promise<void> =>
    (renewing ??= open()
      .then(
        (fresh) => {
          if (closed) return fresh.close();
          const old = current;
          current = fresh;
          // A local statement runs to its end within its call: nothing is still using the old connection.
          old.close();
        },
        // The old connection still serves reads; the next refusal tries again.
        () => {},
      )
      .finally(() => (renewing = undefined)));
  // Each call runs once the one before it has settled, on a connection no refusal has touched since (see above).
  let lastCall: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(call: () => Promise<T>): Promise<T> => {
    const go = async () => {
      if (renewing) await renewing;
      try {
        return await call();
      } catch (err) {
        if (isTransientFailure(err)) void renew();
        throw err;
      }
    };
    const settled = lastCall.then(go, go);
    lastCall = settled.then(
      () => {},
      () => {},
    );
    return settled;
  };
  // Statements waiting out a lock try it again one at a time, each after its pause: every try may block the event
  // loop for the connection's busy_timeout, and a dozen statements trying together (the runner's claims and
  // heartbeats pile up while a lock lasts) kept it blocked most of the time. Each link resolves when its try is over.
  let tries: Promise<void> = Promise.resolve();
  const afterOthers = async <T>(attempt: () => Promise<T>, giveUpAt: number): Promise<T | typeof GAVE_UP> => {
    const before = tries;
    let over!: () => void;
    tries = new Promise<void>((resolve) => (over = resolve));
    try {
      const timer = new AbortController();
      const late = await Promise.race([before.then(() => false), delay(giveUpAt - performance.now(), timer.signal).then(() => true)]);
      timer.abort();
      return late ? GAVE_UP : await attempt();
    } finally {
      over();
    }
  };
  // One wrapper per method, made once: each reads `current` when called, so it outlives a renewal.
  const watched = new Map<PropertyKey, (...args: unknown[]) => Promise<unknown>>();
  const watch =
    (prop: PropertyKey) =>
    async (...args: unknown[]) => {
      const run = () => (current as unknown as Record<PropertyKey, (...a: unknown[]) => Promise<unknown>>)[prop]!(...args);
      let refusal: unknown;
      try {
        return await inTurn(run);
      } catch (err) {
        if (!isTransientFailure(err)) throw err;
        refusal = err;
      }
      for (let attempt = 0; ; attempt++) {
        if (closed || !isLockHeld(refusal)) throw refusal;
        const now = performance.now();
        if (now - lastLocked > EPISODE_GAP_MS) lockedSince = now;
        lastLocked = now;
        const giveUpAt = lockedSince + lockWaitMs;
        if (giveUpAt <= now) throw refusal;
        const pause = Math.min(giveUpAt - now, LOCK_RETRY_MS[Math.min(attempt, LOCK_RETRY_MS.length - 1)]!);
        let res: unknown;
        try {
          res = await afterOthers(async () => {
            await delay(pause);
            return inTurn(run);
          }, giveUpAt);
        } catch (err) {
          if (!isTransientFailure(err)) throw err;
          refusal = err;
          continue;
        }
        if (res === GAVE_UP) throw refusal;
        return res;
      }
    };
  return new Proxy({} as Client, {
    get(_target, prop) {
      const value = (current as unknown as Record<PropertyKey, unknown>)[prop];
      if (typeof value !== 'function') return value;
      if (prop === 'close')
        return () => {
          closed = true;
          return current.close();
        };
      if (!RUNS_STATEMENTS.has(prop)) return value.bind(current);
      let wrapper = watched.get(prop);
      if (!wrapper) watched.set(prop, (wrapper = watch(prop)));
      return wrapper;
    },
  });
}
