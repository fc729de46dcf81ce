import { createRoute } from '@hono/zod-openapi';
import { ROUTES } from '../../../shared/index.js';
import type { RouteDeps } from '../env.js';
import { V1_ERRORS, errorResponses } from '../errors.js';
import { createRouter, jsonBody, jsonResponse } from '../router.js';
import { JobParams } from './params.js';

const { method, path, body, response } = ROUTES.setToken;
const route = createRoute({
  method,
  path,
  summary: 'A fresh Google OAuth access token for the job’s sheet write-back (held in memory only); paused writing resumes',
  security: [{ bearer: [] }],
  request: { params: JobParams, body: jsonBody(body) },
  responses: { 200: jsonResponse('The job, with its write progress', response), ...errorResponses(...V1_ERRORS, 'not_found', 'payload_too_large') },
});

export const jobsToken = ({ service }: RouteDeps) =>
  createRouter().openapi(route, async (c) =>
    c.json(await service.setGoogleToken({ workspace: c.get('workspace'), jobId: c.req.valid('param').id, ...c.req.valid('json') }), 200),
  );
