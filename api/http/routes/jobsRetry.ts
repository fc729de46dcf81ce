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

export const jobsRetry = ({ service }: RouteDeps) =>
  createRouter().openapi(route, async (c) => {
    return c.json(await service.retry({ workspace: c.get('workspace'), jobId: c.req.valid('param').id, ...c.req.valid('json') }), 202);
  });
