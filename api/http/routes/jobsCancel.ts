import { createRoute } from '@hono/zod-openapi';
import { ROUTES } from '../../../shared/index.js';
import type { RouteDeps } from '../env.js';
import { V1_ERRORS, errorResponses } from '../errors.js';
import { createRouter, jsonResponse } from '../router.js';
import { JobParams } from './params.js';

const { method, path, response } = ROUTES.cancel;
const route = createRoute({
  method,
  path,
  summary: 'Cancel a job: no call starts once it arrives; it returns when the calls on the wire are answered, with the final cost. Retry resumes it.',
  security: [{ bearer: [] }],
  request: { params: JobParams },
  responses: { 200: jsonResponse('The cancelled job', response), ...errorResponses(...V1_ERRORS, 'not_found', 'payload_too_large') },
});

export const jobsCancel = ({ service }: RouteDeps) =>
  createRouter().openapi(route, async (c) => c.json(await service.cancel({ workspace: c.get('workspace'), jobId: c.req.valid('param').id }), 200));
