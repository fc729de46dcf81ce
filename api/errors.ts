import { REQUEST_ERRORS, type RequestErrorCode } from '../shared/index.js';

/**
 * A refusal of a request, as the client will see it: a request code (so it
 * has one HTTP status, REQUEST_ERRORS), a message, and where in the request
 * it applies. `cause` keeps what was refused underneath (a constraint of the
 * database) for logs and debuggers; it never reaches the client.
 */
export class CascadeError extends Error {
  override name = 'CascadeError';

  constructor(
    readonly code: RequestErrorCode,
    message: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status() {
    return REQUEST_ERRORS[this.code].status;
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
