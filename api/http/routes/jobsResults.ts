import { createRoute } from '@hono/zod-openapi';
import { ROUTES } from '../../../shared/index.js';
import type { RouteDeps } from '../env.js';
import { V1_ERRORS, errorResponses } from '../errors.js';
import { createRouter, jsonResponse } from '../router.js';
import { JobParams } from './params.js';

const { method, path, query, response } = ROUTES.results;
const route = createRoute({
  method,
  path,
  summary: 'Rows with their values, sources and flags, in submission order; follow `next` for the next page',
  security: [{ bearer: [] }],
  request: { params: JobParams, query },
  responses: { 200: jsonResponse('A page of rows', response), ...errorResponses(...V1_ERRORS, 'not_found') },
});

export const jobsResults = ({ service }: RouteDeps) =>
  createRouter().openapi(route, async (c) => {
    const { after, limit, status, key } = c.req.valid('query');
    const page = { after: after === undefined ? undefined : Number(after), limit, status, key };
    return c.json(await service.results({ workspace: c.get('workspace'), jobId: c.req.valid('param').id, ...page }), 200);
  });
