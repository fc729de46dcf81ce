import { createRoute } from '@hono/zod-openapi';
import { ROUTES } from '../../../shared/index.js';
import type { RouteDeps } from '../env.js';
import { V1_ERRORS, errorResponses } from '../errors.js';
import { createRouter, jsonBody, jsonResponse } from '../router.js';

const { method, path, body, response } = ROUTES.enrich;
const route = createRoute({
  method,
  path,
  summary: 'Enrich one row now, cache first, answering by the deadline with what was found and what is missing',
  security: [{ bearer: [] }],
  request: { body: jsonBody(body) },
  responses: { 200: jsonResponse('The row', response), ...errorResponses(...V1_ERRORS, 'payload_too_large') },
});

export const enrich = ({ service }: RouteDeps) =>
  createRouter().openapi(route, async (c) => {
    return c.json(await service.enrich({ workspace: c.get('workspace'), ...c.req.valid('json') }), 200);
  });
