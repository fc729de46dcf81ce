import { createRoute } from '@hono/zod-openapi';
import { MetricsQuerySchema, MetricsSchema } from '../../../shared/index.js';
import type { App, RouteDeps } from '../env.js';
import { errorResponses } from '../errors.js';

const route = createRoute({
  method: 'get',
  path: '/v1/metrics',
  summary: 'Per provider: calls, paid calls, matches, match rate, p50/p95 latency, cost, cost per match, 429s, errors',
  security: [{ bearer: [] }],
  request: { query: MetricsQuerySchema },
  responses: { 200: { description: 'Figures for the window', content: { 'application/json': { schema: MetricsSchema } } }, ...errorResponses },
});

export function registerMetrics(app: App, { engine }: RouteDeps) {
  app.openapi(route, async (c) => {
    const q = c.req.valid('query');
    return c.json(await engine.metrics(c.get('workspace'), q.window, q.jobId), 200);
  });
}
