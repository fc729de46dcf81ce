import type { MiddlewareHandler } from 'hono';
import { CascadeError } from '../../../errors.js';
import type { AppEnv } from '../../env.js';

export interface AuthOptions {
  /** Finds the workspace a key belongs to. */
  findWorkspace(key: string): Promise<string | undefined>;
}

/** Bearer-key auth: sets the request's workspace, which scopes every job, cache entry and metric. */
export function apiKeyAuth(opts: AuthOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new CascadeError('unauthorized', 'send your API key as "Authorization: Bearer <key>"', 'Authorization');
    const workspace = await opts.findWorkspace(m[1]!);
    if (!workspace) throw new CascadeError('unauthorized', 'unknown API key', 'Authorization');
    c.set('workspace', workspace);
    await next();
  };
}
