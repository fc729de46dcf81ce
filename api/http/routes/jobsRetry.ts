import { createRoute } from '@hono/zod-openapi';
import { ROUTES } from '../../../shared/index.js';
import type { RouteDeps } from '../env.js';
import { V1_ERRORS, errorResponses } from '../errors.js';
import { createRouter, jsonBody, jsonResponse } from '../router.js';
import { JobParams } from './params.js';

const { method, path, body, response } = ROUTES.retry;
const route = createRoute({
  method,
  path,
  summary: 'Re-queue flagged rows (failed, budget exhausted): all, or the listed keys. Cached answers are not paid again.',
  security: [{ bearer: [] }],
  request: { params: JobParams, body: jsonBody(body, false) },
  responses: { 202: jsonResponse('Rows re-queued', response), ...errorResponses(...V1_ERRORS, 'not_found', 'payload_too_large') },
});

export const jobsRetry = ({ engine }: RouteDeps) =>
  createRouter().openapi(route, async (c) => {
    const body = c.req.valid('json') ?? {};
    return c.json(await engine.retry(c.get('workspace'), c.req.valid('param').id, body.keys, body.maxCostUsd), 202);
  });
