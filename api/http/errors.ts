import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ApiErrorBodySchema, HTTP_STATUS, formatPath, type ErrorCode } from '../../shared/index.js';
import { CascadeError } from '../errors.js';

export const errorResponses = {
  400: { description: 'The request is malformed; `path` says where', content: { 'application/json': { schema: ApiErrorBodySchema } } },
  401: { description: 'Missing or unknown API key', content: { 'application/json': { schema: ApiErrorBodySchema } } },
  404: { description: 'No such job in this workspace', content: { 'application/json': { schema: ApiErrorBodySchema } } },
} as const;

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
    log('unhandled error', { path: c.req.path, err: err.stack ?? String(err) });
    return c.json(body('internal', 'internal error; the request can be retried'), 500);
  };
}

export const notFound = (c: Context) => c.json(body('not_found', `no route ${c.req.method} ${c.req.path}`), 404);
