import { createRoute } from '@hono/zod-openapi';
import { ROUTES } from '../../../shared/index.js';
import type { RouteDeps } from '../env.js';
import { V1_ERRORS, errorResponses } from '../errors.js';
import { createRouter, jsonResponse } from '../router.js';
import { JobParams } from './params.js';

const { method, path, response } = ROUTES.getJob;
const route = createRoute({
  method,
  path,
  summary: 'A job: status, row counts by status, cost so far',
  security: [{ bearer: [] }],
  request: { params: JobParams },
  responses: { 200: jsonResponse('The job', response), ...errorResponses(...V1_ERRORS, 'not_found') },
});

export const jobsGet = ({ service }: RouteDeps) =>
  createRouter().openapi(route, async (c) => c.json(await service.getJob({ workspace: c.get('workspace'), jobId: c.req.valid('param').id }), 200));
