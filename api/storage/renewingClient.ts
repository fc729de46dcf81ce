import type { Client } from '@libsql/client';
import { isTransientFailure } from './transientFailure.js';

/** The calls that run statements on the connection, and so may leave a refused one behind. */
const RUNS_STATEMENTS = new Set<PropertyKey>(['execute', 'batch', 'executeMultiple', 'migrate']);

/**
 * A client on an embedded database whose connection is replaced once SQLite
 * refuses a statement for a passing reason (a lock held past busy_timeout, a
 * full disk). libsql keeps the refused statement open until it is
 * garbage-collected, and until then the connection refuses every COMMIT
 * ("cannot commit transaction - SQL statements in progress"): one lock held
 * a little too long would fail every job created after it, for as long as
 * the garbage lived. `open` makes a connection with its pragmas. Not for
 * `:memory:`, where a new connection is a new, empty database.
 */
export async function renewingClient(open: () => Promise<Client>): Promise<Client> {
  let current = await open();
  let renewing: Promise<void> | undefined;
  let closed = false;
  const renew = () => {
    renewing ??= open()
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
      .finally(() => (renewing = undefined));
  };
  // One wrapper per method, made once: each reads `current` when called, so it outlives a renewal.
  const watched = new Map<PropertyKey, (...args: unknown[]) => Promise<unknown>>();
  const watch = (prop: PropertyKey) => async (...args: unknown[]) => {
    try {
      return await (current as unknown as Record<PropertyKey, (...a: unknown[]) => Promise<unknown>>)[prop]!(...args);
    } catch (err) {
      if (isTransientFailure(err)) renew();
      throw err;
    }
  };
  return new Proxy({} as Client, {
    get(_target, prop) {
      const value = (current as unknown as Record<PropertyKey, unknown>)[prop];
      if (typeof value !== 'function') return value;
      if (prop === 'close') return () => ((closed = true), current.close());
      if (!RUNS_STATEMENTS.has(prop)) return value.bind(current);
      let wrapper = watched.get(prop);
      if (!wrapper) watched.set(prop, (wrapper = watch(prop)));
      return wrapper;
    },
  });
}
