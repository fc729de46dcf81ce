/** Errors in the shape Google APIs answer with: `{ error: { code, message, status } }`. */
export class GoogleApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: string,
    message: string,
  ) {
    super(message);
  }

  body() {
    return { error: { code: this.code, message: this.message, status: this.status } };
  }
}

export const invalidArgument = (message: string) => new GoogleApiError(400, 'INVALID_ARGUMENT', message);
export const notFound = (message: string) => new GoogleApiError(404, 'NOT_FOUND', message);
