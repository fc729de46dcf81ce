import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS, ROUTES, routeUrl, type RouteName } from '../shared/index.js';
import { domainRows, domains, startHarness, type Harness } from './helpers/harness.js';
import { responseProblem, type OpenApiDocument } from './helpers/openapiConformance.js';

/**
 * Every answer that goes through the harness's `api()` is held to the served
 * OpenAPI document (test/helpers/openapiConformance.ts), so the whole suite
 * checks the success answers. This file makes the server give each error
 * answer a route can give, on every route that can give it, and checks that
 * the document lists exactly those statuses and that the check itself catches
 * an answer the document does not describe.
 */

let h: Harness;
let doc: OpenApiDocument;
const seen: { method: string; path: string; status: number; body: any }[] = [];

async function send(method: string, path: string, init: { body?: unknown; key?: string | null } = {}) {
  const res = await h.api(path, { ...init, method });
  seen.push({ method, path, ...res });
  return res;
}

const V1 = (Object.keys(ROUTES) as RouteName[]).filter((n) => n !== 'health');
const hasId = (n: RouteName) => ROUTES[n].path.includes('{id}');
const takesBody = (n: RouteName) => ROUTES[n].method !== 'get';
const url = (n: RouteName, id: string, query?: Record<string, string>) => routeUrl(n, { id, query } as never);

const JOB = { fields: ['company.name'], rows: domainRows(domains(2, 'com', 'doc')) };

/** A request each route takes, given an existing job; its body is what `send` posts. */
const VALID: Record<RouteName, { query?: Record<string, string>; body?: unknown }> = {
  health: {},
  createJob: { body: JOB },
  appendRows: { body: { rows: [{ key: 'fresh', input: { domain: 'fresh.com' } }] } },
  getJob: {},
  results: {},
  retry: { body: {} },
  cancel: {},
  setToken: { body: { accessToken: 'ya29.test' } },
  enrich: { body: { input: { domain: 'doc.com' }, fields: ['company.name'] } },
  estimate: { body: { fields: ['company.name'], inputs: [{ domain: 'doc.com' }] } },
  metrics: { query: { window: '24h' } },
  alerts: {},
  pipeline: {},
  submitLeads: { body: { source: 'form', leads: [{ input: { email: 'ada@doc.com' } }] } },
  getLead: {},
  replayLeads: { body: {} },
};

beforeAll(async () => {
  h = await startHarness([
    { id: 'firmo', fields: ['company.name'] },
    { id: 'slowco', fields: ['company.employees'], behaviour: { latency: { medianMs: 200, sigma: 0.1 }, concurrency: 1 } },
  ]);
  doc = (await h.api('/openapi.json')).body;
});
afterAll(() => h.stop());

describe('each route documents exactly the answers it can give', () => {
  it('lists its success, 401, 500 and 503 on every /v1 route; 404 where it takes a job; 413 where it takes a body; 409 where a conflict is possible', () => {
    const documented = Object.fromEntries(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([m, op]) => [`${m} ${path}`, Object.keys(op.responses).sort()])),
    );
    expect(documented).toEqual({
      'get /health': ['200'],
      'post /v1/jobs': ['200', '202', '400', '401', '409', '413', '500', '503'],
      'post /v1/jobs/{id}/rows': ['202', '400', '401', '404', '409', '413', '500', '503'],
      'get /v1/jobs/{id}': ['200', '400', '401', '404', '500', '503'],
      'get /v1/jobs/{id}/results': ['200', '400', '401', '404', '500', '503'],
      'post /v1/jobs/{id}/retry': ['202', '400', '401', '404', '413', '500', '503'],
      'post /v1/jobs/{id}/cancel': ['200', '400', '401', '404', '413', '500', '503'],
      'put /v1/jobs/{id}/token': ['200', '400', '401', '404', '413', '500', '503'],
      'post /v1/enrich': ['200', '400', '401', '413', '500', '503'],
      'post /v1/estimate': ['200', '400', '401', '413', '500', '503'],
      'get /v1/metrics': ['200', '400', '401', '404', '500', '503'],
      'get /v1/alerts': ['200', '401', '500', '503'],
      'get /v1/pipeline': ['200', '401', '500', '503'],
      'post /v1/leads': ['202', '400', '401', '409', '413', '500', '503'],
      'get /v1/leads/{id}': ['200', '400', '401', '404', '500', '503'],
      'post /v1/leads/replay': ['202', '400', '401', '413', '500', '503'],
    });
    // One schema per error code; a status several codes share documents each of them.
    const conflicts = doc.paths['/v1/jobs/{id}/rows']!.post!.responses['409']!.content!['application/json']!.schema;
    expect(conflicts).toEqual({ anyOf: [{ $ref: '#/components/schemas/JobCancelledError' }, { $ref: '#/components/schemas/DuplicateRowKeyError' }] });
    expect(doc.components?.schemas?.DuplicateRowKeyError).toMatchObject({ properties: { error: { properties: { code: { enum: ['duplicate_row_key'] } } } } });
  });
});

describe('every error answer is one the route documents', () => {
  let jobId: string;
  beforeAll(async () => {
    jobId = (await send('POST', '/v1/jobs', VALID.createJob)).body.id;
  });

  it('401 on every /v1 route, without a key or with an unknown one', async () => {
    for (const n of V1) {
      for (const key of [null, 'csk_unknown']) {
        const res = await send(ROUTES[n].method.toUpperCase(), url(n, jobId, VALID[n].query), { body: VALID[n].body, key });
        expect(res, n).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
      }
    }
  });

  it('400 on every /v1 route: a body that is not JSON, an id or a query out of range', async () => {
    // Cancel takes no body (it ignores one), so its 400 is for the id; alerts takes nothing that could be malformed.
    for (const n of V1.filter((n) => n !== 'cancel' && n !== 'alerts' && n !== 'pipeline')) {
      const res = takesBody(n)
        ? await send(ROUTES[n].method.toUpperCase(), url(n, jobId), { body: '{"rows": [' })
        : await send('GET', url(n, hasId(n) ? 'j'.repeat(400) : jobId, n === 'metrics' ? { window: 'forever' } : undefined));
      expect(res, n).toMatchObject({ status: 400, body: { error: { code: 'invalid_body' } } });
    }
    const cancel = await send('POST', url('cancel', 'j'.repeat(101)));
    expect(cancel).toMatchObject({ status: 400, body: { error: { code: 'invalid_body', path: 'param.id' } } });
  });

  it('404 on every route that takes a job, for a job of no workspace of this key', async () => {
    for (const n of V1.filter(hasId)) {
      const res = await send(ROUTES[n].method.toUpperCase(), url(n, 'job_nope', VALID[n].query), { body: VALID[n].body });
      expect(res, n).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    }
    const metrics = await send('GET', url('metrics', '', { window: '24h', jobId: 'job_nope' }));
    expect(metrics).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  });

  it('413 on every route that takes a body, before the key is looked at', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(LIMITS.bodyBytes + 1) });
    for (const n of V1.filter(takesBody)) {
      const res = await send(ROUTES[n].method.toUpperCase(), url(n, jobId), { body: big, key: null });
      expect(res, n).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
    }
  });

  it('409 for each conflict: an Idempotency-Key with another body, a row key already in the job, a cancelled job', async () => {
    const first = await h.api('/v1/jobs', { body: JOB, headers: { 'idempotency-key': 'doc-409' } });
    expect(first.status).toBe(202);
    const reused = await h.api('/v1/jobs', { body: { ...JOB, maxCostUsd: 1 }, headers: { 'idempotency-key': 'doc-409' } });
    seen.push({ method: 'POST', path: '/v1/jobs', ...reused });
    expect(reused).toMatchObject({ status: 409, body: { error: { code: 'idempotency_conflict', path: 'Idempotency-Key' } } });

    // The second key of the batch is already in the job: the batch is refused whole, naming that key.
    const clash = await send('POST', url('appendRows', jobId), {
      body: {
        rows: [
          { key: 'new', input: { domain: 'new.com' } },
          { key: '3', input: { domain: 'x.com' } },
        ],
      },
    });
    expect(clash).toMatchObject({ status: 409, body: { error: { code: 'duplicate_row_key', path: 'rows[1].key', message: expect.stringContaining('"3"') } } });
    expect((await h.api(`/v1/jobs/${jobId}`)).body.counts.total).toBe(2);

    // A job still running when cancelled: its provider answers slowly, a row at a time.
    const slow = (await send('POST', '/v1/jobs', { body: { fields: ['company.employees'], rows: domainRows(domains(20, 'com', 'slow')) } })).body.id;
    expect((await send('POST', url('cancel', slow))).body.status).toBe('cancelled');
    const cancelled = await send('POST', url('appendRows', slow), VALID.appendRows);
    expect(cancelled).toMatchObject({ status: 409, body: { error: { code: 'job_cancelled' } } });

    // This server configures no lead pipeline: leads, and jobs asking a lead field, are refused saying so.
    expect(await send('POST', '/v1/leads', VALID.submitLeads)).toMatchObject({ status: 409, body: { error: { code: 'pipeline_not_configured' } } });
    const leadJob = await send('POST', '/v1/jobs', { body: { ...JOB, fields: ['company.name', 'lead.score'] } });
    expect(leadJob).toMatchObject({ status: 409, body: { error: { code: 'pipeline_not_configured', path: 'fields[1]' } } });
  });

  it('503 storage_busy on the routes that write, while another writer holds the database', async () => {
    const target = (await send('POST', '/v1/jobs', VALID.createJob)).body.id;
    // The server's own connection gives up on a lock in milliseconds rather than the production 5 s.
    await h.cascade.database.client.execute('PRAGMA busy_timeout=20');
    const other = createClient({ url: h.dbUrl });
    try {
      // Waits its turn behind a commit of the server's writer thread, instead of failing SQLITE_BUSY on a busy machine.
      await other.execute('PRAGMA busy_timeout=5000');
      const lock = await other.transaction('write');
      await lock.execute(`INSERT INTO workspaces (id, created_at) VALUES ('doc-holder', 0)`);
      for (const n of ['createJob', 'appendRows', 'retry'] as const) {
        const res = await send('POST', url(n, target), VALID[n]);
        expect(res, n).toMatchObject({ status: 503, body: { error: { code: 'storage_busy' } } });
      }
      await lock.rollback();
    } finally {
      other.close();
    }
  });

  it('a request no route takes answers as an error of its own status', async () => {
    expect(await send('DELETE', url('getJob', jobId))).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect(await send('GET', '/v1/nothing', { key: null })).toMatchObject({ status: 401 });
  });

  it('saw every error status the document lists but 500, and each passed the check', () => {
    expect(new Set(seen.map((s) => s.status))).toEqual(new Set([200, 202, 400, 401, 404, 409, 413, 503]));
    for (const s of seen) expect(responseProblem(doc, s.method, s.path, s.status, s.body)).toBeUndefined();
  });
});

describe('the check', () => {
  it('refuses an answer whose status the route does not document, or whose body is not the documented schema', () => {
    const clash = seen.find((s) => s.body?.error?.code === 'duplicate_row_key')!;
    expect(responseProblem(doc, clash.method, clash.path, clash.status, clash.body)).toBeUndefined();

    const without409 = structuredClone(doc);
    delete without409.paths['/v1/jobs/{id}/rows']!.post!.responses['409'];
    expect(responseProblem(without409, clash.method, clash.path, clash.status, clash.body)).toMatch(/does not document 409/);

    // A code of another status, or of no request at all (a row flag), is not a documented 409.
    for (const code of ['invalid_body', 'provider_timeout']) {
      const body = { error: { ...clash.body.error, code } };
      expect(responseProblem(doc, clash.method, clash.path, 409, body), code).toMatch(/not post \/v1\/jobs\/\{id\}\/rows's documented 409/);
    }
    // A success body missing a field.
    expect(responseProblem(doc, 'POST', '/v1/jobs/job_x/rows', 202, {})).toMatch(/documented 202/);
    // Not a route, and not an error answer.
    expect(responseProblem(doc, 'GET', '/v1/nothing', 200, { ok: true })).toMatch(/no documented operation/);
    expect(responseProblem(doc, 'GET', '/v1/nothing', 409, { error: { code: 'not_found', message: 'x' } })).toMatch(/not_found answers 404/);
  });
});
