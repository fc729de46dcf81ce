import { createRoute } from '@hono/zod-openapi';
import { ResultsPageSchema, ResultsQuerySchema } from '../../../shared/index.js';
import type { App, RouteDeps } from '../env.js';
import { errorResponses } from '../errors.js';
import { JobParams } from './params.js';

const route = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}/results',
  summary: 'Rows with their values, sources and flags, in submission order; follow `next` for the next page',
  security: [{ bearer: [] }],
  request: { params: JobParams, query: ResultsQuerySchema },
  responses: { 200: { description: 'A page of rows', content: { 'application/json': { schema: ResultsPageSchema } } }, ...errorResponses },
});

export function registerJobsResults(app: App, { engine }: RouteDeps) {
  app.openapi(route, async (c) => {
    const q = c.req.valid('query');
    return c.json(await engine.results(c.get('workspace'), c.req.valid('param').id, q.after ? Number(q.after) : -1, q.limit, q.status), 200);
  });
}
