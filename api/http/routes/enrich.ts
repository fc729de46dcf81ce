import { createRoute } from '@hono/zod-openapi';
import { EnrichResultSchema, EnrichSchema } from '../../../shared/index.js';
import type { App, RouteDeps } from '../env.js';
import { errorResponses } from '../errors.js';

const route = createRoute({
  method: 'post',
  path: '/v1/enrich',
  summary: 'Enrich one row now, cache first, answering by the deadline with what was found and what is missing',
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { 'application/json': { schema: EnrichSchema } } } },
  responses: { 200: { description: 'The row', content: { 'application/json': { schema: EnrichResultSchema } } }, ...errorResponses },
});

export function registerEnrich(app: App, { engine }: RouteDeps) {
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    return c.json(await engine.enrich(c.get('workspace'), body.input, body.fields, body.deadlineMs, body.predict), 200);
  });
}
