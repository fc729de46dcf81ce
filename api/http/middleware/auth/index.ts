import type { MiddlewareHandler } from 'hono';
import { CascadeError } from '../../../errors.js';
import type { AppEnv } from '../../env.js';

export interface AuthOptions {
  /** Finds the workspace a key belongs to. */
  findWorkspace(key: string): Promise<string | undefined>;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** The key in an Authorization header; refuses (401) a missing or malformed one. */
export function bearerKey(header: string | undefined): string {
  const m = BEARER.exec(header ?? '');
  if (!m) throw new CascadeError('unauthorized', 'send your API key as "Authorization: Bearer <key>"', 'Authorization');
  return m[1]!;
}

/** The workspace a key's lookup found; refuses (401) a key it did not find. */
export function knownWorkspace(found: string | undefined): string {
  if (!found) throw new CascadeError('unauthorized', 'unknown API key', 'Authorization');
  return found;
}

/** Bearer-key auth: sets the request's workspace, which scopes every job, cache entry and metric. */
export function apiKeyAuth(opts: AuthOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('workspace', knownWorkspace(await opts.findWorkspace(bearerKey(c.req.header('authorization')))));
    await next();
  };
}
