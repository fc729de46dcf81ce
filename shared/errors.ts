import { z } from 'zod';

/**
 * Three vocabularies of errors, one per layer. A code means one thing, and
 * only a request code ever becomes an HTTP response:
 *  - RequestErrorCode: why the API refused a request. Its status is in
 *    REQUEST_ERRORS and nowhere else.
 *  - RowFlagCode: why a row (or a real-time lookup) has no full answer. It is
 *    stored on the row and shown in the sheet's status column; the request
 *    that reads it succeeds.
 *  - WriteBackErrorCode: why writing a job's rows to its sheet stopped or
 *    waits (the job's `sheet.lastError`); the rows stay in the database.
 * `internal` is in each with the same meaning: something unexpected on our
 * side (or, read back from the database, a code this version does not know),
 * worth trying again.
 */

/** Request errors: each code's HTTP status, in the one table the responses and the OpenAPI document are built from. */
export const REQUEST_ERRORS = {
  invalid_body: { status: 400, description: 'The request cannot be read (not JSON, the wrong shape, a value out of range); `path` says where' },
  unauthorized: { status: 401, description: 'Missing or unknown API key' },
  not_found: { status: 404, description: 'No such job in this workspace (or, for a token, the job writes to no sheet)' },
  idempotency_conflict: { status: 409, description: 'This Idempotency-Key was used with a different body' },
  job_cancelled: { status: 409, description: 'The job was cancelled; retry it to resume before adding rows' },
  pipeline_not_configured: { status: 409, description: 'The job asks for lead.* fields or submits leads, but this workspace has no lead pipeline configured' },
  duplicate_row_key: { status: 409, description: 'A row key of the batch is already in the job; none of the batch was stored' },
  payload_too_large: { status: 413, description: 'The body is over the size limit; send rows in smaller batches' },
  internal: { status: 500, description: 'An unexpected error; the request can be sent again' },
  storage_busy: { status: 503, description: 'The database is busy or out of reach for now; send the request again after Retry-After' },
} as const satisfies Record<string, { status: 400 | 401 | 404 | 409 | 413 | 500 | 503; description: string }>;

export type RequestErrorCode = keyof typeof REQUEST_ERRORS;
export const RequestErrorCodeSchema = z.enum(Object.keys(REQUEST_ERRORS) as [RequestErrorCode, ...RequestErrorCode[]]);
export type RequestErrorStatus<C extends RequestErrorCode = RequestErrorCode> = (typeof REQUEST_ERRORS)[C]['status'];

/** Row and lookup flags. */
export const RowFlagCodeSchema = z.enum([
  'invalid_input',
  'budget_exhausted',
  'provider_rate_limited',
  'provider_unavailable',
  'provider_timeout',
  'provider_rejected',
  'provider_bad_response',
  'blocked_address',
  'deadline_exceeded',
  'delivery_failed',
  'notify_failed',
  'internal',
]);
export type RowFlagCode = z.infer<typeof RowFlagCodeSchema>;

/** Whether "Retry flagged" can change a flagged row's outcome without the user fixing the input. */
export const RETRYABLE: Record<RowFlagCode, boolean> = {
  invalid_input: false,
  budget_exhausted: true,
  provider_rate_limited: true,
  provider_unavailable: true,
  provider_timeout: true,
  provider_rejected: true,
  provider_bad_response: true,
  blocked_address: false,
  deadline_exceeded: true,
  delivery_failed: true,
  notify_failed: true,
  internal: true,
};

/** Why sheet write-back stopped or waits (a job's `sheet.lastError`). */
export const WriteBackErrorCodeSchema = z.enum([
  'google_unauthorized',
  'google_forbidden',
  'sheet_not_found',
  'google_unavailable',
  'google_rejected',
  'internal',
]);
export type WriteBackErrorCode = z.infer<typeof WriteBackErrorCodeSchema>;

/** Any request error, as a client reads it. */
export const ApiErrorBodySchema = z.object({
  error: z.object({
    code: RequestErrorCodeSchema,
    message: z.string(),
    path: z.string().optional(),
  }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBodySchema>;

const pascal = (code: string) => code.replace(/(^|_)(\w)/g, (_, __, c: string) => c.toUpperCase());

/**
 * One schema per request error, named in the OpenAPI document (`DuplicateRowKeyError`):
 * a route documents each status with the schemas of exactly the codes it can answer with.
 */
export const API_ERROR_SCHEMAS = Object.fromEntries(
  RequestErrorCodeSchema.options.map((code) => [
    code,
    z
      .object({ error: z.object({ code: z.literal(code), message: z.string(), path: z.string().optional() }) })
      .meta({ id: `${pascal(code)}Error`, description: REQUEST_ERRORS[code].description }),
  ]),
) as unknown as { [C in RequestErrorCode]: z.ZodType<{ error: { code: C; message: string; path?: string } }> };
