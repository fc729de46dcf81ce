import { createRoute, z } from '@hono/zod-openapi';
import { ROUTES, identifierText } from '../../../shared/index.js';
import type { RouteDeps } from '../env.js';
import { V1_ERRORS, errorResponses } from '../errors.js';
import { createRouter, jsonBody, jsonResponse } from '../router.js';

const { method, path, body, response } = ROUTES.createJob;
const route = createRoute({
  method,
  path,
  summary: 'Create a job: a column of rows to enrich with the given fields',
  security: [{ bearer: [] }],
  request: { headers: z.object({ 'idempotency-key': identifierText(200).optional() }), body: jsonBody(body) },
  responses: {
    202: jsonResponse('Accepted; enrichment runs in the background', response),
    200: jsonResponse('Same Idempotency-Key and body as an earlier request: that job', response),
    ...errorResponses(...V1_ERRORS, 'payload_too_large', 'idempotency_conflict', 'pipeline_not_configured'),
  },
});

export const jobsCreate = ({ service }: RouteDeps) =>
  createRouter().openapi(route, async (c) => {
    const res = await service.createJob({ workspace: c.get('workspace'), job: c.req.valid('json'), idempotencyKey: c.req.valid('header')['idempotency-key'] });
    return c.json({ id: res.id }, res.created ? 202 : 200);
  });
