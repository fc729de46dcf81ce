import { createRoute, z } from '@hono/zod-openapi';
import { RetrySchema } from '../../../shared/index.js';
import type { App, RouteDeps } from '../env.js';
import { errorResponses } from '../errors.js';
import { JobParams } from './params.js';

const route = createRoute({
  method: 'post',
  path: '/v1/jobs/{id}/retry',
  summary: 'Re-queue flagged rows (failed, budget exhausted): all, or the listed keys. Cached answers are not paid again.',
  security: [{ bearer: [] }],
  request: { params: JobParams, body: { required: false, content: { 'application/json': { schema: RetrySchema } } } },
  responses: {
    202: { description: 'Rows re-queued', content: { 'application/json': { schema: z.object({ requeued: z.number().int() }) } } },
    ...errorResponses,
  },
});

export function registerJobsRetry(app: App, { engine }: RouteDeps) {
  app.openapi(route, async (c) => {
    const body = c.req.valid('json') ?? {};
    return c.json(await engine.retry(c.get('workspace'), c.req.valid('param').id, body.keys, body.maxCostUsd), 202);
  });
}
