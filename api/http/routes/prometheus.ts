import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { CascadeError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { notFound } from '../errors.js';

export interface PrometheusOptions {
  registry: Registry;
  /** The bearer token a scraper sends (CASCADE_METRICS_TOKEN). Without one, the endpoint does not exist: 404. */
  token?: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * `GET /metrics`: the registry in Prometheus' text format, for a scraper with
 * the metrics token. Outside /v1 and the OpenAPI contract (it is not JSON, and
 * API keys do not open it): operators' figures span every workspace, so a
 * workspace's key must not read them.
 */
export function prometheus(opts: PrometheusOptions) {
  // Compared as digests, in constant time: the comparison says nothing about how much of a guess was right.
  const expected = opts.token ? digest(opts.token) : undefined;
  return new Hono<AppEnv>().get('/metrics', async (c) => {
    if (!expected) return notFound(c);
    const m = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
    if (!m || !timingSafeEqual(digest(m[1]!), expected)) {
      throw new CascadeError('unauthorized', 'send the metrics token (CASCADE_METRICS_TOKEN) as "Authorization: Bearer <token>"', 'Authorization');
    }
    return c.body(await opts.registry.metrics(), 200, { 'content-type': opts.registry.contentType });
  });
}
