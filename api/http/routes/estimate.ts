import { createRoute } from '@hono/zod-openapi';
import { ROUTES } from '../../../shared/index.js';
import type { RouteDeps } from '../env.js';
import { V1_ERRORS, errorResponses } from '../errors.js';
import { createRouter, jsonBody, jsonResponse } from '../router.js';

const { method, path, body, response } = ROUTES.estimate;
const route = createRoute({
  method,
  path,
  summary: 'Before a job: how many rows are already cached (free) and what the rest would cost, expected and at worst. Buys nothing.',
  security: [{ bearer: [] }],
  request: { body: jsonBody(body) },
  responses: { 200: jsonResponse('The estimate', response), ...errorResponses(...V1_ERRORS, 'payload_too_large') },
});

export const estimate = ({ service }: RouteDeps) =>
  createRouter().openapi(route, async (c) => {
    return c.json(await service.estimate({ workspace: c.get('workspace'), ...c.req.valid('json') }), 200);
  });
