import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ApiErrorBodySchema, HTTP_STATUS, formatPath, type ErrorCode } from '../../shared/index.js';
import { CascadeError } from '../errors.js';
import { isTransientFailure } from '../storage/transientFailure.js';

export const errorResponses = {
  400: { description: 'The request is malformed; `path` says where', content: { 'application/json': { schema: ApiErrorBodySchema } } },
  401: { description: 'Missing or unknown API key', content: { 'application/json': { schema: ApiErrorBodySchema } } },
  404: { description: 'No such job in this workspace', content: { 'application/json': { schema: ApiErrorBodySchema } } },
  503: { description: 'The database is busy or out of reach for now (`storage_busy`); send the request again after Retry-After', content: { 'application/json': { schema: ApiErrorBodySchema } } },
} as const;

/** Seconds a client is asked to wait after `storage_busy`: a lock is usually gone by then, and a retry costs little. */
const STORAGE_RETRY_AFTER_S = 1;

const body = (code: ErrorCode, message: string, path?: string) => ({ error: { code, message, ...(path ? { path } : {}) } });

/** Turns a failed zod validation into the error every client sees: what was wrong and where. */
export function validationHook(result: { success: boolean; error?: z.ZodError; target: string }, c: Context) {
  if (result.success || !result.error) return;
  const issue = result.error.issues[0]!;
  const path = formatPath(issue.path);
  const where = result.target === 'json' ? path : [result.target, path].filter(Boolean).join('.');
  return c.json(body('invalid_body', issue.message, where || undefined), 400);
}

/** The one error handler: known errors answer with their code's status, anything else is a 500 that reveals nothing. */
export function onError(log: (msg: string, extra?: Record<string, unknown>) => void) {
  return (err: Error, c: Context) => {
    if (err instanceof CascadeError) return c.json(body(err.code, err.message, err.path), HTTP_STATUS[err.code]);
    if (err instanceof HTTPException) {
      const status = err.status;
      const code: ErrorCode = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : 'invalid_body';
      const message = /malformed json/i.test(err.message) ? 'the body is not valid JSON' : err.message || 'bad request';
      return c.json(body(code, message), HTTP_STATUS[code]);
    }
    if (isTransientFailure(err)) {
      // A lock held elsewhere, a file made read-only, a full or failing disk, a database server out of reach: the request may go through once that passes.
      log('database busy', { path: c.req.path, err: err.message });
      c.header('retry-after', String(STORAGE_RETRY_AFTER_S));
      return c.json(body('storage_busy', 'the database is busy or out of reach (locked by another writer, read-only, out of disk, failing, or its server not answering); send the request again in a moment'), 503);
    }
    log('unhandled error', { path: c.req.path, err: err.stack ?? String(err) });
    return c.json(body('internal', 'internal error; the request can be retried'), 500);
  };
}

export const notFound = (c: Context) => c.json(body('not_found', `no route ${c.req.method} ${c.req.path}`), 404);
