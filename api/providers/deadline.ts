export interface Deadline {
  /** Aborts when the time is up or the outer signal aborts. */
  readonly signal: AbortSignal;
  /** Whether it was the time limit (not the outer signal) that aborted. */
  readonly expired: boolean;
}

/**
 * Runs a call with a time limit that is gone as soon as the call ends.
 * AbortSignal.timeout() keeps its timer and signal alive for the whole limit
 * whatever happens, and AbortSignal.any() ties the result to both sources: at
 * thousands of calls a second that is tens of thousands of live timers, old
 * enough to be promoted, each freed only by a full garbage collection.
 */
export async function withDeadline<T>(ms: number, outer: AbortSignal | undefined, run: (limit: Deadline) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  let expired = false;
  const onOuter = () => ctl.abort(outer?.reason);
  const timer = setTimeout(() => {
    expired = true;
    ctl.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError'));
  }, ms);
  if (outer?.aborted) ctl.abort(outer.reason);
  else outer?.addEventListener('abort', onOuter, { once: true });
  try {
    return await run({
      signal: ctl.signal,
      get expired() {
        return expired;
      },
    });
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
  }
}
