import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { API_ERROR_SCHEMAS, REQUEST_ERRORS, formatPath, type RequestErrorCode, type RequestErrorStatus } from '../../shared/index.js';
import { CascadeError } from '../errors.js';
import { isTransientFailure } from '../storage/transientFailure.js';

type ErrorResponses<C extends RequestErrorCode> = {
  [S in RequestErrorStatus<C>]: {
    description: string;
    content: { 'application/json': { schema: z.ZodType<{ error: { code: Extract<C, CodeOf<S>>; message: string; path?: string } }> } };
  };
};
type CodeOf<S> = { [K in RequestErrorCode]: RequestErrorStatus<K> extends S ? K : never }[RequestErrorCode];

/**
 * A route's documented error answers, from the codes it can answer with: each
 * code's status from REQUEST_ERRORS, and under each status the schema of each
 * of its codes (one schema per code; several codes of one status are any of
 * them). A route lists exactly what it can answer, so a client can rely on the
 * document; test/openapiResponses.test.ts holds every answer the suite sees to it.
 */
export function errorResponses<const C extends readonly RequestErrorCode[]>(...codes: C): ErrorResponses<C[number]> {
  const byStatus = new Map<number, RequestErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = REQUEST_ERRORS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => {
      const schemas = list.map((code) => API_ERROR_SCHEMAS[code]);
      return [
        status,
        {
          description: list.map((code) => `\`${code}\`: ${REQUEST_ERRORS[code].description}`).join('. '),
          content: { 'application/json': { schema: schemas.length === 1 ? schemas[0]! : z.union(schemas as [z.ZodType, z.ZodType, ...z.ZodType[]]) } },
        },
      ];
    }),
  ) as ErrorResponses<C[number]>;
}

/**
 * What every /v1 route can answer: a request that does not validate, a missing
 * or unknown key, a fault of ours, and (the key is looked up in it) the
 * database out of reach. Routes add `not_found` for a job id,
 * `payload_too_large` where a body can be sent (POST, PUT), and their conflicts.
 */
export const V1_ERRORS = ['invalid_body', 'unauthorized', 'internal', 'storage_busy'] as const;

/** Seconds a client is asked to wait after `storage_busy`: a lock is usually gone by then, and a retry costs little. */
const STORAGE_RETRY_AFTER_S = 1;

const body = (code: RequestErrorCode, message: string, path?: string) => ({ error: { code, message, ...(path ? { path } : {}) } });

/** An error answer: its status, its body, and (storage_busy) when to send the request again. */
export interface ErrorAnswer {
  status: ContentfulStatusCode;
  body: ReturnType<typeof body>;
  retryAfter?: string;
}

/** What a failed zod validation answers: what was wrong and where. Undefined when it passed. */
export function validationAnswer(result: { success: boolean; error?: z.ZodError; target: string }): ErrorAnswer | undefined {
  if (result.success || !result.error) return;
  const issue = result.error.issues[0]!;
  const path = formatPath(issue.path);
  const where = result.target === 'json' ? path : [result.target, path].filter(Boolean).join('.');
  return { status: REQUEST_ERRORS.invalid_body.status, body: body('invalid_body', issue.message, where || undefined) };
}

/** Turns a failed zod validation into the error every client sees (validationAnswer). */
export function validationHook(result: { success: boolean; error?: z.ZodError; target: string }, c: Context) {
  const answer = validationAnswer(result);
  if (answer) return c.json(answer.body, answer.status);
}

/**
 * What an error thrown while handling a request answers: known errors their
 * code's status, anything else a 500 that reveals nothing. `path` is the
 * request's, for the log line of a fault.
 */
export function errorAnswer(log: (msg: string, extra?: Record<string, unknown>) => void, err: Error, path: string): ErrorAnswer {
  if (err instanceof CascadeError) return { status: err.status, body: body(err.code, err.message, err.path) };
  if (err instanceof HTTPException) {
    const status = err.status;
    const code: RequestErrorCode = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : 'invalid_body';
    const message = /malformed json/i.test(err.message) ? 'the body is not valid JSON' : err.message || 'bad request';
    return { status: REQUEST_ERRORS[code].status, body: body(code, message) };
  }
  if (isTransientFailure(err)) {
    // A lock held elsewhere, a file made read-only, a full or failing disk, a database server out of reach: the request may go through once that passes.
    log('database busy', { path, err: err.message });
    return {
      status: REQUEST_ERRORS.storage_busy.status,
      body: body(
        'storage_busy',
        'the database is busy or out of reach (locked by another writer, read-only, out of disk, failing, or its server not answering); send the request again in a moment',
      ),
      retryAfter: String(STORAGE_RETRY_AFTER_S),
    };
  }
  log('unhandled error', { path, err: err.stack ?? String(err) });
  return { status: REQUEST_ERRORS.internal.status, body: body('internal', 'internal error; the request can be retried') };
}

/** The one error handler (errorAnswer). */
export function onError(log: (msg: string, extra?: Record<string, unknown>) => void) {
  return (err: Error, c: Context) => {
    const answer = errorAnswer(log, err, c.req.path);
    if (answer.retryAfter) c.header('retry-after', answer.retryAfter);
    return c.json(answer.body, answer.status);
  };
}

export const notFound = (c: Context) => c.json(body('not_found', `no route ${c.req.method} ${c.req.path}`), REQUEST_ERRORS.not_found.status);
