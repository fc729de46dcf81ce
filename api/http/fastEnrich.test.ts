import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startHarness, type Harness, type TestProvider } from '../../test/helpers/harness.js';
import { createLog } from '../log.js';
import type { Cascade } from '../server.js';
import { validate } from './fastEnrich.js';
import { keysStore } from '../storage/keys.js';

const PROVIDERS: TestProvider[] = [{ id: 'firmo', fields: ['company.name'], costPerCall: 0.01 }];

/**
 * POST /v1/enrich has two ways through the server: the fast path
 * (fastEnrich.ts) for the ordinary request, and the general chain for
 * everything else. The same request sent both ways (the chain is forced by a
 * query string, which the route ignores) must get the same answer and the
 * same log line: status, body, headers, request id handling.
 */
describe('POST /v1/enrich: the fast path answers as the chain does', () => {
  let h: Harness;
  let cascade: Cascade;
  let key: string;
  const lines: string[] = [];

  beforeAll(async () => {
    h = await startHarness(PROVIDERS, {}, { log: createLog([], (l) => lines.push(l)) });
    cascade = h.cascade;
    key = await keysStore(cascade.database.db).create('ws-fast', Date.now());
  });
  afterAll(() => h?.stop());

  interface Sent {
    body?: string | Buffer;
    headers?: Record<string, string>;
    key?: string | null;
  }
  /** One request over Node's http client, so the headers sent are exactly these (fetch adds its own). */
  function send(path: string, { body = '', headers = {}, key: k = key }: Sent) {
    const all: Record<string, string> = { 'content-type': 'application/json', ...headers };
    if (k !== null) all.authorization = `Bearer ${k}`;
    const { hostname, port } = new URL(cascade.url);
    return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; json: any; line: any }>((resolve, reject) => {
      const req = httpRequest({ hostname, port, path, method: 'POST', headers: all }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const id = res.headers['x-request-id'];
          const line = lines
            .map((l) => JSON.parse(l))
            .filter((l) => l.msg === 'request' && l.reqId === id)
            .pop();
          resolve({ status: res.statusCode!, headers: res.headers, json: text ? JSON.parse(text) : undefined, line });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** The same request on the fast path and through the chain: the same status, body, content type and log line. */
  async function both(sent: Sent) {
    const fast = await send('/v1/enrich', sent);
    const chain = await send('/v1/enrich?via=chain', sent);
    expect(fast.status).toBe(chain.status);
    // elapsedMs is how long the engine took: a timing, not part of the answer to compare.
    expect({ ...fast.json, elapsedMs: 0 }).toEqual({ ...chain.json, elapsedMs: 0 });
    expect(fast.headers['content-type']).toBe(chain.headers['content-type']);
    expect(fast.headers['retry-after']).toBe(chain.headers['retry-after']);
    expect(fast.headers['x-request-id']).toBeTruthy();
    expect(fast.line).toMatchObject({ method: 'POST', url: '/v1/enrich', status: fast.status });
    expect(chain.line).toMatchObject({ method: 'POST', url: '/v1/enrich?via=chain', status: chain.status });
    const { url: _f, ms: _fm, reqId: _fr, time: _ft, ...fastRest } = fast.line;
    const { url: _c, ms: _cm, reqId: _cr, time: _ct, ...chainRest } = chain.line;
    expect(fastRest).toEqual(chainRest);
    return fast;
  }

  const enrich = (domain: string, extra: Record<string, unknown> = {}) => JSON.stringify({ input: { domain }, fields: ['company.name'], ...extra });

  it('a cached answer, and one bought first', async () => {
    const bought = await send('/v1/enrich', { body: enrich('fast.com') });
    expect(bought).toMatchObject({ status: 200, json: { status: 'matched', costUsd: 0.01 } });
    expect(bought.line).toMatchObject({ workspace: 'ws-fast', status: 200 });
    const cached = await both({ body: enrich('fast.com') });
    expect(cached.json).toMatchObject({ status: 'matched', costUsd: 0, provenance: { 'company.name': { cached: true } } });
    // A charset, a BOM before the JSON, and a predict flag the schema defaults: the same answer.
    await both({ body: enrich('fast.com'), headers: { 'content-type': 'application/json; charset=UTF-8' } });
    await both({ body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(enrich('fast.com', { predict: false }))]) });
  });

  it('refuses a missing, malformed or unknown key with the same 401', async () => {
    expect((await both({ body: enrich('fast.com'), key: null })).json.error).toMatchObject({ code: 'unauthorized', path: 'Authorization' });
    expect((await both({ body: enrich('fast.com'), key: null, headers: { authorization: 'Basic abc' } })).status).toBe(401);
    const unknown = await both({ body: enrich('fast.com'), key: 'csk_never-issued' });
    expect(unknown.json.error).toMatchObject({ code: 'unauthorized', message: 'unknown API key' });
    // The key is checked before the body is read: a bad key and a bad body answer 401.
    expect((await both({ body: '{', key: 'csk_never-issued' })).status).toBe(401);
  });

  it('refuses a body that is not JSON or not an enrich request with the same 400 and path', async () => {
    expect((await both({ body: '{"input":' })).json.error).toEqual({ code: 'invalid_body', message: 'the body is not valid JSON' });
    expect((await both({ body: '' })).status).toBe(400);
    expect((await both({ body: JSON.stringify({ input: { domain: 5 }, fields: ['company.name'] }) })).json.error.path).toBe('input.domain');
    expect((await both({ body: JSON.stringify({ input: { domain: 'a.com', phone: '1' }, fields: ['company.name'] }) })).status).toBe(400);
    expect((await both({ body: JSON.stringify({ input: { domain: 'a.com' }, fields: [] }) })).json.error.path).toBe('fields');
    expect((await both({ body: enrich('a.com', { deadlineMs: 10 }) })).json.error.path).toBe('deadlineMs');
    expect((await both({ body: JSON.stringify([1, 2]) })).status).toBe(400);
    // Valid for the schema, refused by the engine: a field no provider supplies.
    expect((await both({ body: JSON.stringify({ input: { domain: 'a.com' }, fields: ['person.title'] }) })).status).toBe(400);
  });

  it('requests it does not take (another media type, a body over the cap) answer as before', async () => {
    expect((await both({ body: enrich('fast.com'), headers: { 'content-type': 'text/plain' } })).status).toBe(400);
    expect((await both({ body: 'x'.repeat(8 * 1024 * 1024 + 1) })).status).toBe(413);
  });

  it("keeps a proxy's well-formed request id, replaces any other, and tags the line with it", async () => {
    const kept = await both({ body: enrich('fast.com'), headers: { 'x-request-id': 'lb-1234abcd' } });
    expect(kept.headers['x-request-id']).toBe('lb-1234abcd');
    expect(kept.line).toMatchObject({ reqId: 'lb-1234abcd', workspace: 'ws-fast' });
    const replaced = await both({ body: enrich('fast.com'), headers: { 'x-request-id': 'bad id' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('POST /v1/enrich: a fast-path answer that cannot be written', () => {
  it('costs its connection, not the process: the failure is logged and the next request is answered', async () => {
    const lines: string[] = [];
    // A log that throws on the fast path's request line: the last thing the answer does before writing.
    let failing = true;
    const log = (msg: string, extra?: Record<string, unknown>) => {
      if (msg === 'request' && extra?.url === '/v1/enrich' && failing) throw new Error('log refused');
      lines.push(msg);
    };
    const h = await startHarness(PROVIDERS, {}, { log });
    try {
      const key = await keysStore(h.cascade.database.db).create('ws-log', Date.now());
      const post = () =>
        fetch(`${h.cascade.url}/v1/enrich`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ input: { domain: 'fast.com' }, fields: ['company.name'] }),
        });
      await expect(post()).rejects.toThrow();
      expect(lines).toContain('enrich fast path: the answer could not be written');
      failing = false;
      expect((await post()).status).toBe(200);
    } finally {
      await h.stop();
    }
  });
});

describe('validate', () => {
  it('answers at once for a schema without async parts, and through safeParseAsync for one with them', async () => {
    const plain = validate(z.object({ a: z.string() }), { a: 'x' });
    expect(plain).not.toBeInstanceOf(Promise);
    expect(plain).toMatchObject({ success: true, data: { a: 'x' } });
    const later = z.object({ a: z.string().refine(async (v) => v === 'ok', 'not ok') });
    const refused = validate(later, { a: 'no' });
    expect(refused).toBeInstanceOf(Promise);
    expect((await refused).success).toBe(false);
    expect(await validate(later, { a: 'ok' })).toMatchObject({ success: true });
  });
});
