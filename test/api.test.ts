import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobsStore } from '../api/storage/jobs.js';
import { keysStore } from '../api/storage/keys.js';
import { allResults, domainRows, domains, startHarness, type Harness } from './helpers/harness.js';
import { until } from './helpers/until.js';

let h: Harness;
let otherKey: string;
beforeAll(async () => {
  h = await startHarness([
    { id: 'p', fields: ['company.name', 'company.employees'], costPerMatch: 0.02, behaviour: { matchRate: { '*': 0.5 } } },
    { id: 'people', input: 'email', fields: ['person.title'] },
  ]);
  otherKey = await keysStore(h.cascade.database.db).create('ws-other', Date.now());
});
afterAll(async () => h?.stop());

describe('auth and workspaces', () => {
  it('refuses requests without a key or with an unknown one', async () => {
    const none = await h.api('/v1/jobs/x', { key: null });
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ code: 'unauthorized', path: 'Authorization' });
    expect((await h.api('/v1/jobs/x', { key: 'csk_nope' })).status).toBe(401);
  });

  it('stores keys hashed, never in plain text', async () => {
    const rows = await h.cascade.database.client.execute('SELECT * FROM api_keys');
    const dump = JSON.stringify(rows.rows);
    expect(dump).not.toContain(h.key);
    expect(dump).not.toContain(otherKey);
  });

  it("answers 404 for another workspace's job, results, cancel and retry, and keeps its cache and metrics apart", async () => {
    const { body } = await h.api('/v1/jobs', { body: { fields: ['company.name'], rows: domainRows(['acme.com']) } });
    await h.waitForJob(body.id);
    for (const [path, method] of [
      [`/v1/jobs/${body.id}`, 'GET'],
      [`/v1/jobs/${body.id}/results`, 'GET'],
      [`/v1/jobs/${body.id}/cancel`, 'POST'],
      [`/v1/jobs/${body.id}/retry`, 'POST'],
      [`/v1/metrics?jobId=${body.id}`, 'GET'],
    ] as const) {
      const res = await h.api(path, { method, key: otherKey });
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    const before = h.calls('p').length;
    const other = await h.api('/v1/jobs', { key: otherKey, body: { fields: ['company.name'], rows: domainRows(['acme.com']) } });
    await h.waitForJob(other.body.id, otherKey);
    // Same lead, other workspace: not served from the first workspace's cache.
    expect(h.calls('p').length).toBe(before + 1);
    const m = (await h.api('/v1/metrics', { key: otherKey })).body;
    expect(m.providers.find((p: any) => p.provider === 'p').calls).toBe(1);
  });
});

describe('jobs', () => {
  it('appends rows in batches, pages results with a cursor and counts every status', async () => {
    const created = await h.api('/v1/jobs', { body: { fields: ['company.name'], rows: domainRows(domains(30, 'com', 'batch')) } });
    const more = [
      ...domains(30, 'org', 'batch').map((d, i) => ({ key: `b${i}`, input: { domain: d } })),
      { key: 'bad', input: { email: 'not an email' } },
      { key: 'empty', input: {} },
    ];
    const appended = await h.api(`/v1/jobs/${created.body.id}/rows`, { body: { rows: more } });
    expect(appended).toMatchObject({ status: 202, body: { appended: 32 } });
    // A key already in the job refuses the whole batch, as a conflict naming the key: none of it is stored.
    const clash = await h.api(`/v1/jobs/${created.body.id}/rows`, {
      body: {
        rows: [
          { key: 'fresh', input: { domain: 'fresh.org' } },
          { key: 'b0', input: { domain: 'x.org' } },
        ],
      },
    });
    expect(clash).toMatchObject({ status: 409, body: { error: { code: 'duplicate_row_key', path: 'rows[1].key' } } });
    const job = await h.waitForJob(created.body.id);
    expect(job.counts.total).toBe(62);
    expect(job.counts.invalid_input).toBe(2);
    expect(job.counts.matched + job.counts.no_match).toBe(60);
    const page1 = (await h.api(`/v1/jobs/${created.body.id}/results?limit=25`)).body;
    expect(page1.rows).toHaveLength(25);
    const all = await allResults(h, created.body.id);
    expect(all.map((r) => r.key)).toEqual([...domainRows(domains(30)).map((r) => r.key), ...more.map((r) => r.key)]);
    const bad = all.find((r) => r.key === 'bad');
    expect(bad).toMatchObject({ status: 'invalid_input', error: { code: 'invalid_input' } });
    expect(bad.error.message).toMatch(/^email: /);
    expect((await h.api(`/v1/jobs/${created.body.id}/results?status=invalid_input`)).body.rows).toHaveLength(2);
  });

  it('flags a row whose input no provider can use, saying what would work', async () => {
    const { body } = await h.api('/v1/jobs', { body: { fields: ['person.title'], rows: [{ key: 'n', input: { domain: 'acme.com' } }] } });
    const [row] = await allResults(h, body.id);
    expect(row).toMatchObject({ status: 'invalid_input', error: { code: 'invalid_input' } });
    expect(row.error.message).toBe('input: no provider can look up these fields from domain; add email');
  });

  it('survives whatever a client sends: every answer is JSON and below 500', async () => {
    const junk = [
      null,
      0,
      -1,
      1e308,
      '',
      'x',
      [],
      {},
      [{}],
      { fields: null },
      { fields: [{}] },
      { rows: 'x' },
      { fields: ['company.name'], rows: [null] },
      { fields: ['company.name'], rows: [{ key: {}, input: {} }] },
      { fields: ['company.name'], rows: [{ key: 'k', input: { domain: 'x'.repeat(3000) } }] },
      { input: { email: '\u0000@\u0000' }, fields: ['company.name'] },
      { keys: [1, 2, 3] },
      { maxCostUsd: 'lots' },
      { deadlineMs: 1e12 },
      '\u0000',
      '[[[[[[[[[[[[',
    ];
    for (const path of ['/v1/jobs', '/v1/jobs/x/rows', '/v1/jobs/x/retry', '/v1/enrich']) {
      for (const body of junk) {
        const res = await h.api(path, { body: typeof body === 'string' ? body : JSON.stringify(body) });
        expect(res.status, `${path} ${JSON.stringify(body)}`).toBeLessThan(500);
        if (res.status >= 400) expect(res.body.error.code).toBeTypeOf('string');
        else expect(res.body).toBeTypeOf('object');
      }
    }
  });

  it('returns the same job for a repeated Idempotency-Key and refuses it with a different body', async () => {
    const body = { fields: ['company.name'], rows: domainRows(['idem.com']) };
    const headers = { 'idempotency-key': 'abc-123' };
    const first = await h.api('/v1/jobs', { body, headers });
    const again = await h.api('/v1/jobs', { body, headers });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const other = await h.api('/v1/jobs', { body: { ...body, rows: domainRows(['other.com']) }, headers });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_conflict');
    await h.waitForJob(first.body.id);
  });

  it("gives concurrent requests with one Idempotency-Key one job, down to the key's unique index", async () => {
    const body = { fields: ['company.name'], rows: domainRows(domains(200)) };
    const headers = { 'idempotency-key': 'race-1' };
    const answers = await Promise.all([1, 2, 3].map(() => h.api('/v1/jobs', { body, headers })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 202]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect((await h.api(`/v1/jobs/${answers[0]!.body.id}`)).body.counts.total).toBe(200);
    // The server is shared by the whole file: a job left running would send requests into later tests' counts.
    await h.waitForJob(answers[0]!.body.id);
    // The engine answers a repeat before doing its rows; storage still settles a race it did not see coming.
    const jobs = jobsStore(h.cascade.database.db);
    const input = { workspaceId: 'ws-test', fields: ['company.name' as const], idempotencyKey: 'race-2', bodyHash: 'h', rows: [] };
    const won = await jobs.create({ ...input, id: 'job_race_a' }, Date.now());
    const lost = await jobs.create({ ...input, id: 'job_race_b' }, Date.now());
    const clash = await jobs.create({ ...input, id: 'job_race_c', bodyHash: 'other' }, Date.now());
    expect([won.kind, lost.kind, clash.kind]).toEqual(['created', 'existing', 'conflict']);
    expect(lost.kind === 'existing' && lost.job.id).toBe('job_race_a');
  });
});

describe('bad input gets a clear 4xx', () => {
  const cases: [string, unknown, number, string, string | undefined][] = [
    ['not JSON', '{"fields": [', 400, 'invalid_body', undefined],
    ['unknown field', { fields: ['company.nmae'], rows: [] }, 400, 'invalid_body', 'fields[0]'],
    ['no field', { fields: [], rows: [] }, 400, 'invalid_body', 'fields'],
    ['wrong input type', { fields: ['company.name'], rows: [{ key: '1', input: { email: 42 } }] }, 400, 'invalid_body', 'rows[0].input.email'],
    ['unknown input kind', { fields: ['company.name'], rows: [{ key: '1', input: { phone: '1' } }] }, 400, 'invalid_body', 'rows[0].input'],
    [
      'duplicate key',
      {
        fields: ['company.name'],
        rows: [
          { key: '1', input: {} },
          { key: '1', input: {} },
        ],
      },
      400,
      'invalid_body',
      'rows[1].key',
    ],
    ['field nobody supplies', { fields: ['person.phone'], rows: [] }, 400, 'invalid_body', 'fields[0]'],
    ['negative budget', { fields: ['company.name'], rows: [], maxCostUsd: -1 }, 400, 'invalid_body', 'maxCostUsd'],
  ];
  for (const [name, body, status, code, path] of cases) {
    it(name, async () => {
      const res = await h.api('/v1/jobs', { body });
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      if (path) expect(res.body.error.path).toBe(path);
      expect(res.body.error.message.length).toBeGreaterThan(5);
    });
  }

  it('caps rows per request and says how to send the rest', async () => {
    const rows = Array.from({ length: 5001 }, (_, i) => ({ key: String(i), input: { domain: 'a.com' } }));
    const res = await h.api('/v1/jobs', { body: { fields: ['company.name'], rows } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ path: 'rows' });
    expect(res.body.error.message).toMatch(/5000 rows per request.*\/rows/);
  });

  it('caps the body size', async () => {
    const res = await h.api('/v1/jobs', { body: JSON.stringify({ fields: ['company.name'], pad: 'x'.repeat(9 * 1024 * 1024) }) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  it('validates query parameters and unknown routes', async () => {
    const bad = await h.api('/v1/metrics?window=forever');
    expect(bad.status).toBe(400);
    expect(bad.body.error.path).toBe('query.window');
    expect((await h.api('/v1/nothing')).status).toBe(404);
    expect((await h.api('/v1/jobs/nope')).body.error.code).toBe('not_found');
  });
});

describe('real-time lookups', () => {
  it('answers one row through the cache and waterfall', async () => {
    const res = await h.api('/v1/enrich', { body: { input: { email: 'Jane.Doe@Acme.com' }, fields: ['company.name', 'person.title'] } });
    expect(res.status).toBe(200);
    expect(res.body.values['person.title']).toBeTypeOf('string');
    expect(res.body.sources['person.title']).toBe('people');
    expect(res.body.missing).not.toContain('person.title');
    const again = await h.api('/v1/enrich', { body: { input: { email: 'jane.doe@acme.com' }, fields: ['person.title'] } });
    expect(again.body.provenance['person.title'].cached).toBe(true);
    expect(again.body.costUsd).toBe(0);
  });

  it('flags invalid input without calling anyone', async () => {
    // Every job of this file has finished (each test waits for its own): any request now is this lookup's.
    // Counted on arrival, so a request still waiting for its answer is counted too.
    const before = h.sim.arrivals();
    const domain = await h.api('/v1/enrich', { body: { input: { domain: 'not a domain' }, fields: ['company.name'] } });
    expect(domain.body).toMatchObject({ status: 'invalid_input', error: { code: 'invalid_input' } });
    const email = await h.api('/v1/enrich', { body: { input: { email: 'not-an-email' }, fields: ['person.title'] } });
    expect(email.body).toMatchObject({ status: 'invalid_input', error: { code: 'invalid_input' } });
    expect(h.sim.arrivals()).toBe(before);
  });
});

describe('metrics and docs', () => {
  it('reports per provider calls, paid calls, matches, latency percentiles and cost per match, as the providers saw them', async () => {
    // A workspace of its own: its figures are exactly its own requests.
    const key = await keysStore(h.cascade.database.db).create('ws-metrics', Date.now());
    const list = domains(60, 'com', 'metric');
    const run = async () => {
      const { body } = await h.api('/v1/jobs', { key, body: { fields: ['company.name'], rows: domainRows(list) } });
      return h.waitForJob(body.id, key);
    };
    await run();
    const enriched = await h.api('/v1/enrich', { key, body: { input: { email: 'pat@metric0.com' }, fields: ['person.title'] } });
    expect(enriched.body.status).toBe('matched');
    // The same leads again: all from the cache, no request.
    await run();
    const sent = h.sim.requests.filter((r) => list.includes(r.q));
    const matched = sent.filter((r) => r.status === 200).length;
    const unmatched = sent.filter((r) => r.status === 404).length;
    // Each lead asked once, answered a match or a no-match (the provider matches about half), and nothing else.
    expect(sent.map((r) => r.q).sort()).toEqual([...list].sort());
    expect(matched + unmatched).toBe(list.length);
    expect(matched).toBeGreaterThan(0);
    expect(unmatched).toBeGreaterThan(0);

    // Cache hits reach the figures with their flush (once a second, and a read waits up to 4.5 s for it): on a loaded
    // machine a read can come first, so the figures are read again until they hold them.
    let m: any;
    await until(
      'the rerun’s cache hits in the figures',
      async () => {
        m = (await h.api('/v1/metrics?window=7d', { key })).body;
        return m.providers.find((x: any) => x.provider === 'p')?.cacheHits > 0;
      },
      20_000,
      100,
    );
    const p = m.providers.find((x: any) => x.provider === 'p');
    // "p" bills $0.02 per match and nothing per call: the paid calls are the matches.
    expect(p).toMatchObject({
      calls: list.length,
      paidCalls: matched,
      matches: matched,
      noMatches: unmatched,
      rateLimited: 0,
      errors: 0,
      cacheHits: list.length,
    });
    expect(p.costUsd).toBeCloseTo(matched * 0.02, 9);
    expect(p.matchRate).toBeCloseTo(matched / list.length, 9);
    expect(p.costPerMatch).toBeCloseTo(0.02, 9);
    expect(p.p95Ms).toBeGreaterThanOrEqual(p.p50Ms);
    // "people" answered the one real-time lookup, free.
    expect(m.providers.find((x: any) => x.provider === 'people')).toMatchObject({ calls: 1, paidCalls: 0, matches: 1, costUsd: 0 });
    expect(m.totals).toMatchObject({ calls: list.length + 1, paidCalls: matched, matches: matched + 1, noMatches: unmatched, cacheHits: list.length });
  });

  it('serves an OpenAPI document describing every endpoint', async () => {
    const doc = (await h.api('/openapi.json', { key: null })).body;
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/health',
        '/v1/alerts',
        '/v1/enrich',
        '/v1/estimate',
        '/v1/jobs',
        '/v1/jobs/{id}',
        '/v1/jobs/{id}/cancel',
        '/v1/jobs/{id}/results',
        '/v1/jobs/{id}/retry',
        '/v1/jobs/{id}/rows',
        '/v1/jobs/{id}/token',
        '/v1/metrics',
        '/v1/pipeline',
        '/v1/leads',
        '/v1/leads/{id}',
        '/v1/leads/replay',
      ].sort(),
    );
    expect((await h.api('/health', { key: null })).body).toEqual({ ok: true });
  });
});
