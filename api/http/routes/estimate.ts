import { createRoute } from '@hono/zod-openapi';
import { EstimateResultSchema, EstimateSchema } from '../../../shared/index.js';
import type { App, RouteDeps } from '../env.js';
import { errorResponses } from '../errors.js';

const route = createRoute({
  method: 'post',
  path: '/v1/estimate',
  summary: 'Before a job: how many rows are already cached (free) and what the rest would cost, expected and at worst. Buys nothing.',
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { 'application/json': { schema: EstimateSchema } } } },
  responses: { 200: { description: 'The estimate', content: { 'application/json': { schema: EstimateResultSchema } } }, ...errorResponses },
});

export function registerEstimate(app: App, { engine }: RouteDeps) {
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    return c.json(await engine.estimate(c.get('workspace'), body.fields, body.inputs), 200);
  });
}
