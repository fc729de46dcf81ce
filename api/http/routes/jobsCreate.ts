import { createRoute, z } from '@hono/zod-openapi';
import { CreateJobSchema, identifierText } from '../../../shared/index.js';
import type { App, RouteDeps } from '../env.js';
import { errorResponses } from '../errors.js';

const route = createRoute({
  method: 'post',
  path: '/v1/jobs',
  summary: 'Create a job: a column of rows to enrich with the given fields',
  security: [{ bearer: [] }],
  request: {
    headers: z.object({ 'idempotency-key': identifierText(200).optional() }),
    body: { required: true, content: { 'application/json': { schema: CreateJobSchema } } },
  },
  responses: {
    202: { description: 'Accepted; enrichment runs in the background', content: { 'application/json': { schema: z.object({ id: z.string() }) } } },
    200: { description: 'Same Idempotency-Key and body as an earlier request: that job', content: { 'application/json': { schema: z.object({ id: z.string() }) } } },
    409: { ...errorResponses[400], description: 'Idempotency-Key reused with a different body' },
    ...errorResponses,
  },
});

export function registerJobsCreate(app: App, { engine }: RouteDeps) {
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    const res = await engine.createJob(c.get('workspace'), body, c.req.valid('header')['idempotency-key']);
    return c.json({ id: res.id }, res.created ? 202 : 200);
  });
}
