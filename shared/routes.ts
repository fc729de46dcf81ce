import { z } from 'zod';
import {
  AppendRowsSchema,
  CreateJobSchema,
  EnrichResultSchema,
  EnrichSchema,
  EstimateResultSchema,
  EstimateSchema,
  JobViewSchema,
  MetricsQuerySchema,
  MetricsSchema,
  ResultsPageSchema,
  ResultsQuerySchema,
  RetrySchema,
  SetTokenSchema,
} from './api.js';
import { AlertsSchema } from './alerts.js';
import { LeadRunSchema, LeadsAcceptedSchema, PipelineInfoSchema, ReplayedSchema, ReplaySchema, SubmitLeadsSchema } from './leads.js';

export const HealthSchema = z.object({ ok: z.literal(true) }).meta({ id: 'Health' });
export const JobCreatedSchema = z.object({ id: z.string() }).meta({ id: 'JobCreated' });
export const RowsAppendedSchema = z.object({ appended: z.number().int() }).meta({ id: 'RowsAppended' });
export const RowsRequeuedSchema = z.object({ requeued: z.number().int() }).meta({ id: 'RowsRequeued' });

interface RouteContract {
  method: 'get' | 'post' | 'put';
  /** OpenAPI form: `{id}` is a path parameter. */
  path: string;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The success answer's schema (its status is the route's own: 200, or 202 for work accepted). */
  response: z.ZodType;
}

/**
 * The HTTP contract, named once: each route's method, path and the schemas of
 * what it takes and answers. The API builds its routes (and its OpenAPI
 * document) from these entries, and the add-on's UrlFetchApp client is typed
 * from them, so neither can drift from the other.
 */
export const ROUTES = {
  health: { method: 'get', path: '/health', response: HealthSchema },
  createJob: { method: 'post', path: '/v1/jobs', body: CreateJobSchema, response: JobCreatedSchema },
  appendRows: { method: 'post', path: '/v1/jobs/{id}/rows', body: AppendRowsSchema, response: RowsAppendedSchema },
  getJob: { method: 'get', path: '/v1/jobs/{id}', response: JobViewSchema },
  results: { method: 'get', path: '/v1/jobs/{id}/results', query: ResultsQuerySchema, response: ResultsPageSchema },
  retry: { method: 'post', path: '/v1/jobs/{id}/retry', body: RetrySchema, response: RowsRequeuedSchema },
  cancel: { method: 'post', path: '/v1/jobs/{id}/cancel', response: JobViewSchema },
  setToken: { method: 'put', path: '/v1/jobs/{id}/token', body: SetTokenSchema, response: JobViewSchema },
  enrich: { method: 'post', path: '/v1/enrich', body: EnrichSchema, response: EnrichResultSchema },
  estimate: { method: 'post', path: '/v1/estimate', body: EstimateSchema, response: EstimateResultSchema },
  metrics: { method: 'get', path: '/v1/metrics', query: MetricsQuerySchema, response: MetricsSchema },
  alerts: { method: 'get', path: '/v1/alerts', response: AlertsSchema },
  pipeline: { method: 'get', path: '/v1/pipeline', response: PipelineInfoSchema },
  submitLeads: { method: 'post', path: '/v1/leads', body: SubmitLeadsSchema, response: LeadsAcceptedSchema },
  getLead: { method: 'get', path: '/v1/leads/{id}', response: LeadRunSchema },
  replayLeads: { method: 'post', path: '/v1/leads/replay', body: ReplaySchema, response: ReplayedSchema },
} as const satisfies Record<string, RouteContract>;

export type RouteName = keyof typeof ROUTES;
type Route<N extends RouteName> = (typeof ROUTES)[N];

/** What a caller sends to a route: its path parameters, query and body, each only where the route has them. */
export type RouteRequest<N extends RouteName> = (Route<N>['path'] extends `${string}{id}${string}` ? { id: string } : unknown) &
  (Route<N> extends { query: z.ZodType } ? { query?: z.input<Route<N>['query']> } : unknown) &
  (Route<N> extends { body: z.ZodType } ? { body: z.input<Route<N>['body']> } : unknown);

/** What a route answers on success. */
export type RouteResponse<N extends RouteName> = z.output<Route<N>['response']>;

/** The request's path and query string, its parameters URL-encoded. */
export function routeUrl<N extends RouteName>(name: N, request: RouteRequest<N>): string {
  const r = request as { id?: string; query?: Record<string, string | number | undefined> };
  const path = ROUTES[name].path.replace('{id}', () => encodeURIComponent(r.id ?? ''));
  const query = Object.entries(r.query ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return query ? `${path}?${query}` : path;
}
