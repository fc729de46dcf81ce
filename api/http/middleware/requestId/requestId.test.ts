import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { CascadeError } from '../../../errors.js';
import { createLog } from '../../../log.js';
import type { AppEnv } from '../../env.js';
import { notFound, onError } from '../../errors.js';
import { requestId } from './index.js';

/** A small app with the real middleware, logger and error handler: a route that logs, one that throws, and auth that sets the workspace. */
function app(opts: Parameters<typeof requestId>[0] = {}) {
  const lines: string[] = [];
  const log = createLog([], (l) => lines.push(l));
  const a = new Hono<AppEnv>();
  a.onError(onError(log));
  a.notFound(notFound);
  a.use('*', requestId({ scope: log.scope, log, ...opts }));
  a.use('/v1/*', async (c, next) => {
    c.set('workspace', 'ws-a');
    await next();
  });
  a.get('/v1/jobs/:id', async (c) => {
    await new Promise((r) => setTimeout(r, 1));
    log('reading job');
    return c.json({ ok: true });
  });
  a.get('/v1/boom', () => {
    throw new CascadeError('invalid_body', 'bad');
  });
  a.get('/v1/crash', () => {
    throw new Error('unexpected');
  });
  return { a, lines: () => lines.map((l) => JSON.parse(l)) };
}

describe('requestId', () => {
  it('answers a new id in X-Request-Id and puts it, the workspace and the job on every line of the request', async () => {
    const { a, lines } = app();
    const res = await a.request('/v1/jobs/job_42?x=1');
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const [inside, access] = lines();
    expect(inside).toMatchObject({ msg: 'reading job', reqId: id, workspace: 'ws-a', job: 'job_42' });
    expect(access).toMatchObject({ msg: 'request', reqId: id, workspace: 'ws-a', job: 'job_42', method: 'GET', url: '/v1/jobs/job_42?x=1', status: 200 });
    const again = await a.request('/v1/jobs/job_42');
    expect(again.headers.get('x-request-id')).not.toBe(id);
  });

  it('keeps an id a proxy sent when it is well formed, and replaces one that is not', async () => {
    const { a } = app();
    const kept = await a.request('/health', { headers: { 'x-request-id': 'lb-1234abcd' } });
    expect(kept.headers.get('x-request-id')).toBe('lb-1234abcd');
    for (const bad of ['short', 'a'.repeat(129), 'has space 12345', '{"msg":"forged"}']) {
      const res = await a.request('/health', { headers: { 'x-request-id': bad } });
      expect(res.headers.get('x-request-id')).not.toBe(bad);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('answers the id on errors and 404s too, and the error handler’s line carries it', async () => {
    const { a, lines } = app();
    const known = await a.request('/v1/boom');
    expect(known.status).toBe(400);
    const crash = await a.request('/v1/crash');
    expect(crash.status).toBe(500);
    const missing = await a.request('/nowhere');
    expect(missing.status).toBe(404);
    const ids = [known, crash, missing].map((r) => r.headers.get('x-request-id'));
    expect(new Set(ids).size).toBe(3);
    const logged = lines();
    expect(logged.find((l) => l.msg === 'unhandled error')).toMatchObject({ reqId: ids[1], workspace: 'ws-a' });
    expect(logged.filter((l) => l.msg === 'request').map((l) => [l.reqId, l.status])).toEqual([
      [ids[0], 400],
      [ids[1], 500],
      [ids[2], 404],
    ]);
  });

  it('takes its header name and generator from options, and without a scope still tags its own line', async () => {
    const lines: string[] = [];
    const log = createLog([], (l) => lines.push(l));
    const a = new Hono<AppEnv>();
    a.use('*', requestId({ header: 'Trace-Id', generate: () => 'fixed-id-0001', log }));
    a.get('/x', (c) => c.text('ok'));
    const res = await a.request('/x');
    expect(res.headers.get('trace-id')).toBe('fixed-id-0001');
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'request', reqId: 'fixed-id-0001' });
  });
});
