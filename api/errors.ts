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
