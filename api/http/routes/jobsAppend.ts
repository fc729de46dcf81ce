import { createRoute, z } from '@hono/zod-openapi';
import { AppendRowsSchema } from '../../../shared/index.js';
import type { App, RouteDeps } from '../env.js';
import { errorResponses } from '../errors.js';
import { JobParams } from './params.js';

const route = createRoute({
  method: 'post',
  path: '/v1/jobs/{id}/rows',
  summary: 'Append a batch of rows to a job (long columns arrive in chunks)',
  security: [{ bearer: [] }],
  request: { params: JobParams, body: { required: true, content: { 'application/json': { schema: AppendRowsSchema } } } },
  responses: {
    202: { description: 'Rows queued', content: { 'application/json': { schema: z.object({ appended: z.number().int() }) } } },
    ...errorResponses,
  },
});

export function registerJobsAppend(app: App, { engine }: RouteDeps) {
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    const res = await engine.appendRows(c.get('workspace'), c.req.valid('param').id, body.rows, body.predict);
    return c.json(res, 202);
  });
}
