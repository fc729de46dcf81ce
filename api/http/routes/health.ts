import { createRoute, z } from '@hono/zod-openapi';
import type { App, RouteDeps } from '../env.js';

const route = createRoute({
  method: 'get',
  path: '/health',
  summary: 'Liveness; no key needed',
  responses: { 200: { description: 'Up', content: { 'application/json': { schema: z.object({ ok: z.literal(true) }) } } } },
});

export function registerHealth(app: App, _deps: RouteDeps) {
  app.openapi(route, (c) => c.json({ ok: true as const }, 200));
}
