import { createRoute } from '@hono/zod-openapi';
import { ROUTES } from '../../../shared/index.js';
import type { RouteDeps } from '../env.js';
import { V1_ERRORS, errorResponses } from '../errors.js';
import { createRouter, jsonResponse } from '../router.js';

const { method, path, query, response } = ROUTES.metrics;
const route = createRoute({
  method,
  path,
  summary: 'Per provider: calls, paid calls, matches, match rate, p50/p95 latency, cost, cost per match, 429s, errors',
  security: [{ bearer: [] }],
  request: { query },
  responses: { 200: jsonResponse('Figures for the window', response), ...errorResponses(...V1_ERRORS, 'not_found') },
});

export const metrics = ({ service }: RouteDeps) =>
  createRouter().openapi(route, async (c) => {
    return c.json(await service.metrics({ workspace: c.get('workspace'), ...c.req.valid('query') }), 200);
  });
