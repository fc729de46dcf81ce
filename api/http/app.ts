import { bodyLimit } from 'hono/body-limit';
import { LIMITS } from '../../shared/index.js';
import type { CascadeService } from '../engine/service.js';
import { CascadeError } from '../errors.js';
import { notFound, onError } from './errors.js';
import { mcpRoutes } from './mcp/index.js';
import { apiKeyAuth } from './middleware/auth/index.js';
import { nodeBodyLimit } from './middleware/body/index.js';
import { requestId, type RequestTags } from './middleware/requestId/index.js';
import type { Logger } from '../log.js';
import { createRouter } from './router.js';
import { enrich } from './routes/enrich.js';
import { estimate } from './routes/estimate.js';
import { leads } from './routes/leads.js';
import { health } from './routes/health.js';
import { jobsAppend } from './routes/jobsAppend.js';
import { jobsCancel } from './routes/jobsCancel.js';
import { jobsCreate } from './routes/jobsCreate.js';
import { jobsGet } from './routes/jobsGet.js';
import { jobsResults } from './routes/jobsResults.js';
import { jobsRetry } from './routes/jobsRetry.js';
import { jobsToken } from './routes/jobsToken.js';
import { alerts } from './routes/alerts.js';
import { metrics } from './routes/metrics.js';
import { prometheus, type PrometheusOptions } from './routes/prometheus.js';
import { wake } from './routes/wake.js';
import type { Wake } from '../../shared/index.js';
import type { WakeVerdict } from '../engine/peerWakes.js';

export interface AppDeps {
  service: CascadeService;
  findWorkspace(key: string): Promise<string | undefined>;
  log(msg: string, extra?: Record<string, unknown>): void;
  /** Puts a request's id on every line logged while it is handled (Logger.scope); without it, only the request's own line has it. */
  logScope?: Logger['scope'];
  /** GET /metrics (Prometheus); without it, that path is a 404. */
  prometheus?: PrometheusOptions;
  /** Takes another cluster member's wake (POST /internal/wake); without it, that path is a 404. */
  acceptWake?: (wake: Wake) => WakeVerdict;
}

/**
 * The HTTP API, built from its dependencies so tests build it exactly as
 * production does. The routes are chained, so the returned app's type
 * carries every route's request and response: `AppType` types the clients.
 */
export function buildApp(deps: AppDeps, tags: RequestTags) {
  const app = createRouter();
  app.onError(onError(deps.log));
  app.notFound(notFound);
  // First, so every answer (a 401, a 413, a 404) carries its request id.
  app.use('*', requestId(tags));
  const tooLarge = () => {
    throw new CascadeError('payload_too_large', `the body is over ${LIMITS.bodyBytes} bytes; send rows in batches of at most ${LIMITS.rowsPerRequest}`);
  };
  const limit = bodyLimit({ maxSize: LIMITS.bodyBytes, onError: tooLarge });
  const auth = apiKeyAuth({ findWorkspace: deps.findWorkspace });
  // The /v1 routes read their bodies through c.req, so they can take them straight from Node (see nodeBodyLimit); /mcp reads the raw Request.
  app.use('/v1/*', nodeBodyLimit({ maxSize: LIMITS.bodyBytes, onError: tooLarge, limit }));
  app.use('/v1/*', auth);
  // MCP for AI agents, behind the same key and limit; outside the chain (and the OpenAPI document): it speaks JSON-RPC, not the contract.
  app.use('/mcp', limit);
  app.use('/mcp', auth);
  app.route('/', mcpRoutes({ service: deps.service, log: deps.log }));
  // Outside the chain and the OpenAPI document, like /mcp: Prometheus text behind its own token, not the API's contract.
  if (deps.prometheus) app.route('/', prometheus(deps.prometheus));
  // Members' wakes, outside the chain too: signed by the cluster, not opened by API keys. Without a wake key, a 404.
  if (deps.acceptWake) app.route('/', wake(deps.acceptWake));
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  const routeDeps = { service: deps.service };
  const api = app
    .route('/', health())
    .route('/', jobsCreate(routeDeps))
    .route('/', jobsAppend(routeDeps))
    .route('/', jobsGet(routeDeps))
    .route('/', jobsResults(routeDeps))
    .route('/', jobsRetry(routeDeps))
    .route('/', jobsCancel(routeDeps))
    .route('/', jobsToken(routeDeps))
    .route('/', enrich(routeDeps))
    .route('/', estimate(routeDeps))
    .route('/', metrics(routeDeps))
    .route('/', alerts(routeDeps))
    .route('/', leads(routeDeps));
  api.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Cascade API', version: '0.1.0', description: 'A cached waterfall of enrichment providers, with durable jobs and real-time lookups.' },
  });
  return api;
}

export type AppType = ReturnType<typeof buildApp>;
