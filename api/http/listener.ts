import type { RequestListener } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { buildApp, type AppDeps } from './app.js';
import { enrichFastPath } from './fastEnrich.js';
import { requestTags } from './middleware/requestId/index.js';

/**
 * The API as Node's request listener: the ordinary `POST /v1/enrich` on the
 * fast path (see enrichFastPath: a cached lookup answered in a few µs), every
 * other request through the app's chain. Both tag and log requests with one
 * RequestTags: one id rule, one scope, one line per request.
 */
export function apiListener(deps: AppDeps): RequestListener {
  const tags = requestTags({ log: deps.log, scope: deps.logScope });
  const chain = getRequestListener(buildApp(deps, tags).fetch);
  const fast = enrichFastPath({ service: deps.service, findWorkspace: deps.findWorkspace, log: deps.log, tags });
  return (incoming, outgoing) => {
    if (!fast(incoming, outgoing)) void chain(incoming, outgoing);
  };
}
