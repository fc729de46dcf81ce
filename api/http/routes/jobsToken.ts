import { createRoute } from '@hono/zod-openapi';
import { JobViewSchema, SetTokenSchema } from '../../../shared/index.js';
import type { App, RouteDeps } from '../env.js';
import { errorResponses } from '../errors.js';
import { JobParams } from './params.js';

const route = createRoute({
  method: 'put',
  path: '/v1/jobs/{id}/token',
  summary: 'A fresh Google OAuth access token for the job’s sheet write-back (held in memory only); paused writing resumes',
  security: [{ bearer: [] }],
  request: { params: JobParams, body: { required: true, content: { 'application/json': { schema: SetTokenSchema } } } },
  responses: { 200: { description: 'The job, with its write progress', content: { 'application/json': { schema: JobViewSchema } } }, ...errorResponses },
});

export function registerJobsToken(app: App, { engine }: RouteDeps) {
  app.openapi(route, async (c) => c.json(await engine.setGoogleToken(c.get('workspace'), c.req.valid('param').id, c.req.valid('json').accessToken), 200));
}
