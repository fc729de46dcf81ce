import { z } from 'zod';

/**
 * One set of error codes from the engine to the HTTP response to the flag on
 * the sheet row. A code means the same thing wherever it shows up.
 */
export const ErrorCodeSchema = z.enum([
  // request-level
  'invalid_body',
  'unauthorized',
  'not_found',
  'idempotency_conflict',
  'payload_too_large',
  'job_cancelled',
  'storage_busy',
  'internal',
  // row-level
  'invalid_input',
  'budget_exhausted',
  'provider_rate_limited',
  'provider_unavailable',
  'provider_timeout',
  'provider_rejected',
  'provider_bad_response',
  'blocked_address',
  'deadline_exceeded',
  // sheet write-back (the job's lastError; the rows stay in the database)
  'google_unauthorized',
  'google_forbidden',
  'sheet_not_found',
  'google_unavailable',
  'google_rejected',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const HTTP_STATUS: Record<ErrorCode, 400 | 401 | 404 | 409 | 413 | 422 | 500 | 502 | 503 | 504> = {
  invalid_body: 400,
  unauthorized: 401,
  not_found: 404,
  idempotency_conflict: 409,
  payload_too_large: 413,
  job_cancelled: 409,
  storage_busy: 503,
  internal: 500,
  invalid_input: 422,
  budget_exhausted: 422,
  provider_rate_limited: 502,
  provider_unavailable: 502,
  provider_timeout: 504,
  provider_rejected: 502,
  provider_bad_response: 502,
  blocked_address: 422,
  deadline_exceeded: 504,
  google_unauthorized: 502,
  google_forbidden: 502,
  sheet_not_found: 502,
  google_unavailable: 502,
  google_rejected: 502,
};

/** Whether "Retry flagged" can change the outcome without the user fixing the input. */
export const RETRYABLE: Record<ErrorCode, boolean> = {
  invalid_body: false,
  unauthorized: false,
  not_found: false,
  idempotency_conflict: false,
  payload_too_large: false,
  job_cancelled: true,
  storage_busy: true,
  internal: true,
  invalid_input: false,
  budget_exhausted: true,
  provider_rate_limited: true,
  provider_unavailable: true,
  provider_timeout: true,
  provider_rejected: true,
  provider_bad_response: true,
  blocked_address: false,
  deadline_exceeded: true,
  google_unauthorized: true,
  google_forbidden: true,
  sheet_not_found: true,
  google_unavailable: true,
  google_rejected: false,
};

export const ApiErrorBodySchema = z.object({
  error: z.object({
    code: ErrorCodeSchema,
    message: z.string(),
    path: z.string().optional(),
  }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBodySchema>;
