import { createRoute } from '@hono/zod-openapi';
import { JobViewSchema } from '../../../shared/index.js';
import type { App, RouteDeps } from '../env.js';
import { errorResponses } from '../errors.js';
import { JobParams } from './params.js';

const route = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}',
  summary: 'A job: status, row counts by status, cost so far',
  security: [{ bearer: [] }],
  request: { params: JobParams },
  responses: { 200: { description: 'The job', content: { 'application/json': { schema: JobViewSchema } } }, ...errorResponses },
});

export function registerJobsGet(app: App, { engine }: RouteDeps) {
  app.openapi(route, async (c) => c.json(await engine.getJob(c.get('workspace'), c.req.valid('param').id), 200));
}
