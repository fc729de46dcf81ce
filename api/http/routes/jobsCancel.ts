import { createRoute } from '@hono/zod-openapi';
import { JobViewSchema } from '../../../shared/index.js';
import type { App, RouteDeps } from '../env.js';
import { errorResponses } from '../errors.js';
import { JobParams } from './params.js';

const route = createRoute({
  method: 'post',
  path: '/v1/jobs/{id}/cancel',
  summary: 'Cancel a job: no call starts once it arrives; it returns when the calls on the wire are answered, with the final cost. Retry resumes it.',
  security: [{ bearer: [] }],
  request: { params: JobParams },
  responses: { 200: { description: 'The cancelled job', content: { 'application/json': { schema: JobViewSchema } } }, ...errorResponses },
});

export function registerJobsCancel(app: App, { engine }: RouteDeps) {
  app.openapi(route, async (c) => c.json(await engine.cancel(c.get('workspace'), c.req.valid('param').id), 200));
}
