import type { ErrorCode } from '../shared/index.js';

/** An error that knows what it means to a client: a code from the shared set, and where in the request it was. */
export class CascadeError extends Error {
  override name = 'CascadeError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

/**
 * An error and its causes, outermost first, a few deep at most (a cause chain
 * may loop): drizzle wraps the database driver's errors, and undici's "fetch
 * failed" wraps the socket's or the connector's.
 */
export function* causeChain(err: unknown): Generator<unknown> {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) yield e;
}
