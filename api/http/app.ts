import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { LIMITS } from '../../shared/index.js';
import type { Engine } from '../engine/engine.js';
import { CascadeError } from '../errors.js';
import type { AppEnv } from './env.js';
import { notFound, onError, validationHook } from './errors.js';
import { apiKeyAuth } from './middleware/auth/index.js';
import { registerEnrich } from './routes/enrich.js';
import { registerEstimate } from './routes/estimate.js';
import { registerHealth } from './routes/health.js';
import { registerJobsAppend } from './routes/jobsAppend.js';
import { registerJobsCancel } from './routes/jobsCancel.js';
import { registerJobsCreate } from './routes/jobsCreate.js';
import { registerJobsGet } from './routes/jobsGet.js';
import { registerJobsResults } from './routes/jobsResults.js';
import { registerJobsRetry } from './routes/jobsRetry.js';
import { registerJobsToken } from './routes/jobsToken.js';
import { registerMetrics } from './routes/metrics.js';

export interface AppDeps {
  engine: Engine;
  findWorkspace(key: string): Promise<string | undefined>;
  log(msg: string, extra?: Record<string, unknown>): void;
}

/** The HTTP API, built from its dependencies so tests build it exactly as production does. */
export function buildApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.onError(onError(deps.log));
  app.notFound(notFound);
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: LIMITS.bodyBytes,
      onError: () => {
        throw new CascadeError('payload_too_large', `the body is over ${LIMITS.bodyBytes} bytes; send rows in batches of at most ${LIMITS.rowsPerRequest}`);
      },
    }),
  );
  app.use('/v1/*', apiKeyAuth({ findWorkspace: deps.findWorkspace }));
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  const routeDeps = { engine: deps.engine };
  for (const register of [
    registerHealth,
    registerJobsCreate,
    registerJobsAppend,
    registerJobsGet,
    registerJobsResults,
    registerJobsRetry,
    registerJobsCancel,
    registerJobsToken,
    registerEnrich,
    registerEstimate,
    registerMetrics,
  ]) {
    register(app, routeDeps);
  }
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Cascade API', version: '0.1.0', description: 'A cached waterfall of enrichment providers, with durable jobs and real-time lookups.' },
  });
  return app;
}
