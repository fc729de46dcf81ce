import { createRoute } from '@hono/zod-openapi';
import { ROUTES } from '../../../shared/index.js';
import type { RouteDeps } from '../env.js';
import { errorResponses } from '../errors.js';
import { createRouter, jsonResponse } from '../router.js';

const { method, path, response } = ROUTES.alerts;
const route = createRoute({
  method,
  path,
  summary:
    "Alerts in force (a provider's match rate down more than 10 points on last week, its p95 above twice its baseline), with the weeks' trends and cost per verified match",
  security: [{ bearer: [] }],
  // No parameter, query or body: nothing in the request can be malformed, so no 400.
  responses: { 200: jsonResponse('Alerts and trends of the workspace', response), ...errorResponses('unauthorized', 'internal', 'storage_busy') },
});

export const alerts = ({ service }: RouteDeps) =>
  createRouter().openapi(route, async (c) => c.json(await service.alerts({ workspace: c.get('workspace') }), 200));
