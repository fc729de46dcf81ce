import { createRoute, z } from '@hono/zod-openapi';
import { LeadIdSchema, ROUTES } from '../../../shared/index.js';
import type { RouteDeps } from '../env.js';
import { V1_ERRORS, errorResponses } from '../errors.js';
import { createRouter, jsonBody, jsonResponse } from '../router.js';

/** The lead pipeline's routes: what the workspace's pipeline does, leads in as events, a lead's run, and replay. */

const pipelineRoute = createRoute({
  method: ROUTES.pipeline.method,
  path: ROUTES.pipeline.path,
  summary: "The workspace's lead pipeline: its steps and where its effects go (for the add-on's Qualify group)",
  security: [{ bearer: [] }],
  responses: { 200: jsonResponse('The pipeline', ROUTES.pipeline.response), ...errorResponses('unauthorized', 'internal', 'storage_busy') },
});

const submitRoute = createRoute({
  method: ROUTES.submitLeads.method,
  path: ROUTES.submitLeads.path,
  summary:
    'Leads from an event source (a form, an import, a CRM sync): each is de-duplicated, enriched (fields in `data` are not bought again), scored, qualified, routed, delivered and announced as the pipeline says.',
  security: [{ bearer: [] }],
  request: { body: jsonBody(ROUTES.submitLeads.body) },
  responses: {
    202: jsonResponse('Accepted: the leads and their ids', ROUTES.submitLeads.response),
    ...errorResponses(...V1_ERRORS, 'pipeline_not_configured', 'payload_too_large'),
  },
});

const getRoute = createRoute({
  method: ROUTES.getLead.method,
  path: ROUTES.getLead.path,
  summary: "A lead's run: its values, each step's latest attempt (status, duration, cost, who did it, error), and every attempt",
  security: [{ bearer: [] }],
  request: { params: z.object({ id: LeadIdSchema }) },
  responses: { 200: jsonResponse('The run', ROUTES.getLead.response), ...errorResponses(...V1_ERRORS, 'not_found') },
});

const replayRoute = createRoute({
  method: ROUTES.replayLeads.method,
  path: ROUTES.replayLeads.path,
  summary: 'Resumes failed runs (by source, failed step, time), each from the step that failed: steps that succeeded are never run again.',
  security: [{ bearer: [] }],
  request: { body: jsonBody(ROUTES.replayLeads.body, false) },
  responses: { 202: jsonResponse('Runs resumed', ROUTES.replayLeads.response), ...errorResponses(...V1_ERRORS, 'payload_too_large') },
});

export const leads = ({ service }: RouteDeps) =>
  createRouter()
    .openapi(pipelineRoute, async (c) => c.json(await service.pipeline({ workspace: c.get('workspace') }), 200))
    .openapi(submitRoute, async (c) => c.json(await service.submitLeads({ workspace: c.get('workspace'), ...c.req.valid('json') }), 202))
    .openapi(replayRoute, async (c) => c.json(await service.replayLeads({ workspace: c.get('workspace'), ...c.req.valid('json') }), 202))
    .openapi(getRoute, async (c) => c.json(await service.getLead({ workspace: c.get('workspace'), id: c.req.valid('param').id }), 200));
