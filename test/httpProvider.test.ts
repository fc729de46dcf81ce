import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../api/config/load.js';
import { createLog } from '../api/log.js';
import { getPointer } from '../api/providers/http/pointer.js';
import { httpProvider } from '../api/providers/http/provider.js';
import { waitFromHeaders } from '../api/providers/http/retryAfter.js';
import { expandBody, expandUrl } from '../api/providers/http/template.js';
import { createHttpClient } from '../api/net/httpClient.js';

// `cut`: after the headers and part of the body, the connection is reset ('reset') or goes quiet ('stall').
type Reply = { status: number; body?: string; headers?: Record<string, string>; delayMs?: number; cut?: 'reset' | 'stall' };
let reply: Reply = { status: 200 };
let seen: { url: string; headers: Record<string, unknown>; body: string }[] = [];
let url = '';
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    seen.push({ url: req.url!, headers: req.headers, body });
    // A provider that moved: /moved/x answers with a redirect to /x.
    if (req.url!.startsWith('/moved/')) return res.writeHead(301, { location: req.url!.slice('/moved'.length) }).end();
    setTimeout(() => {
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      if (reply.cut) {
        res.write('{"person": {"title": "C');
        if (reply.cut === 'reset') setTimeout(() => res.destroy(), 20);
        return;
      }
      res.end(reply.body ?? '');
    }, reply.delayMs ?? 0);
  });
});
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const make = (over: Record<string, unknown> = {}) =>
  httpProvider(
    parseConfig(
      {
        providers: [
          {
            id: 'acme',
            kind: 'http',
            input: 'email',
            fields: ['person.title', 'company.name'],
            request: { method: 'GET', url: `${url}/find?email={{email}}`, headers: { 'x-api-key': '${env:K}' } },
            response: { map: { 'person.title': '/person/title', 'company.name': '/person/org/name' } },
            timeoutMs: 200,
            ...over,
          },
        ],
      },
      { K: 'secret-key-1' },
    ).config.providers[0] as never,
    { http: createHttpClient(), now: Date.now },
  );
const signal = new AbortController().signal;

describe('http provider kind', () => {
  it('URL-encodes placeholders and sends the header secret', async () => {
    reply = { status: 200, body: JSON.stringify({ person: { title: 'CTO', org: { name: 'Acme' } } }) };
    seen = [];
    const r = await make().call({ email: 'a+b@x.com' }, signal);
    expect(r).toMatchObject({ kind: 'match', values: { 'person.title': 'CTO', 'company.name': 'Acme' } });
    expect(seen[0]!.url).toBe('/find?email=a%2Bb%40x.com');
    expect(seen[0]!.headers['x-api-key']).toBe('secret-key-1');
    expect(expandUrl('https://x/{{domain}}/y', { domain: 'a/../b?c' })).toBe('https://x/a%2F..%2Fb%3Fc/y');
  });

  it('posts a JSON body template', async () => {
    reply = { status: 200, body: '{"person":{"title":"VP"}}' };
    seen = [];
    await make({ request: { method: 'POST', url: `${url}/match`, body: { email: '{{email}}', note: 'lead {{email}}', n: 1 } } }).call(
      { email: 'q"@x.com' },
      signal,
    );
    expect(JSON.parse(seen[0]!.body)).toEqual({ email: 'q"@x.com', note: 'lead q"@x.com', n: 1 });
    expect(expandBody({ a: ['{{domain}}'] }, {})).toEqual({ a: [null] });
  });

  it('classifies every outcome', async () => {
    const p = make({ noMatchStatus: [404, 422], rateLimitStatus: [429, 403], response: { map: { 'person.title': '/person/title' }, matchIf: '/person' } });
    const cases: [Reply, string, string?][] = [
      [{ status: 200, body: '{"person": null}' }, 'no_match'],
      [{ status: 200, body: '{"person": {"title": "  "}}' }, 'no_match'],
      [{ status: 404 }, 'no_match'],
      [{ status: 422 }, 'no_match'],
      [{ status: 403, headers: { 'retry-after': '2' } }, 'rate_limited'],
      [{ status: 429 }, 'rate_limited'],
      [{ status: 503 }, 'transient', 'provider_unavailable'],
      [{ status: 200, body: '<html>' }, 'transient', 'provider_bad_response'],
      [{ status: 200, body: '{}', delayMs: 400 }, 'transient', 'provider_timeout'],
      [{ status: 401 }, 'permanent', 'provider_rejected'],
    ];
    for (const [r, kind, code] of cases) {
      reply = r;
      const res = await p.call({ email: 'a@x.com' }, signal);
      expect(res.kind, JSON.stringify(r)).toBe(kind);
      if (code) expect((res as { code: string }).code).toBe(code);
      if (r.status === 403) expect(res).toMatchObject({ retryAfterMs: 2000 });
    }
  });

  it('takes an answer only when it arrives whole, within the deadline and the size cap; follows redirects', async () => {
    const p = make();
    const cases: [Reply, string, RegExp][] = [
      [{ status: 200, cut: 'reset' }, 'provider_unavailable', /broke off its answer/],
      [{ status: 200, cut: 'stall' }, 'provider_timeout', /did not finish its answer within 200 ms/],
      [{ status: 200, body: JSON.stringify({ person: { title: 'x'.repeat(2 * 1024 * 1024) } }) }, 'provider_bad_response', /over 2097152 bytes/],
    ];
    for (const [r, code, message] of cases) {
      reply = r;
      const res = await p.call({ email: 'a@x.com' }, signal);
      expect(res, JSON.stringify(r.cut ?? r.status)).toMatchObject({ kind: 'transient', code, message: expect.stringMatching(message) });
    }
    seen = [];
    reply = { status: 200, body: '{"person": {"title": "CTO"}}' };
    const moved = make({ request: { method: 'GET', url: `${url}/moved/find?email={{email}}` } });
    expect(await moved.call({ email: 'a@x.com' }, signal)).toMatchObject({ kind: 'match', values: { 'person.title': 'CTO' } });
    expect(seen.map((s) => s.url)).toEqual(['/moved/find?email=a%40x.com', '/find?email=a%40x.com']);
  });

  it('never puts a key from the URL into an error message', async () => {
    const p = make({ request: { method: 'GET', url: `http://127.0.0.1:1/x?api_key=\${env:K}&e={{email}}` } });
    const res = await p.call({ email: 'a@x.com' }, signal);
    expect(res.kind).toBe('transient');
    expect(JSON.stringify(res)).not.toContain('secret-key-1');
  });

  it('bounds what a provider sends', async () => {
    reply = { status: 200, body: JSON.stringify({ person: { title: 'x'.repeat(10_000), org: { name: { nested: true } } } }) };
    const r = await make().call({ email: 'a@x.com' }, signal);
    expect(r).toMatchObject({ kind: 'match' });
    expect((r as any).values['person.title']).toHaveLength(4000);
    expect((r as any).values['company.name']).toBeUndefined();
  });
});

describe('helpers', () => {
  it('reads JSON Pointers (RFC 6901)', () => {
    const doc = { a: { 'b/c': [1, { 'd~e': 'x' }] } };
    expect(getPointer(doc, '/a/b~1c/1/d~0e')).toBe('x');
    expect(getPointer(doc, '/a/b~1c/7')).toBeUndefined();
    expect(getPointer(doc, '/a/__proto__')).toBeUndefined();
  });

  it('reads Retry-After as seconds or a date, and used-up rate-limit windows', () => {
    const now = Date.parse('2026-11-24T10:00:00Z');
    expect(waitFromHeaders(new Headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(waitFromHeaders(new Headers({ 'retry-after': 'Tue, 24 Nov 2026 10:00:05 GMT' }), now)).toBe(5000);
    expect(waitFromHeaders(new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '7' }), now)).toBe(7000);
    expect(waitFromHeaders(new Headers({ 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': '7' }), now)).toBeUndefined();
  });

  it('redacts secrets and bearer tokens from logs', () => {
    const lines: string[] = [];
    const log = createLog(['secret-key-1'], (l) => lines.push(l));
    log('calling', { url: 'https://x/?api_key=abc123&q=1', auth: 'Bearer ya29.token', k: 'secret-key-1' });
    expect(lines[0]).not.toMatch(/abc123|ya29|secret-key-1/);
  });
});
