import { createRoute } from '@hono/zod-openapi';
import { ROUTES } from '../../../shared/index.js';
import type { RouteDeps } from '../env.js';
import { V1_ERRORS, errorResponses } from '../errors.js';
import { createRouter, jsonBody, jsonResponse } from '../router.js';
import { JobParams } from './params.js';

const { method, path, body, response } = ROUTES.appendRows;
const route = createRoute({
  method,
  path,
  summary: 'Append a batch of rows to a job (long columns arrive in chunks)',
  security: [{ bearer: [] }],
  request: { params: JobParams, body: jsonBody(body) },
  responses: {
    202: jsonResponse('Rows queued', response),
    ...errorResponses(...V1_ERRORS, 'not_found', 'payload_too_large', 'job_cancelled', 'duplicate_row_key'),
  },
});

export const jobsAppend = ({ service }: RouteDeps) =>
  createRouter().openapi(route, async (c) => {
    return c.json(await service.appendRows({ workspace: c.get('workspace'), jobId: c.req.valid('param').id, ...c.req.valid('json') }), 202);
  });
