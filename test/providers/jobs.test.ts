import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWithConfig, type Running } from './helpers/cascade.js';
import { startDnsServer, type DnsServer } from './helpers/dnsServer.js';
import { PAID_KEYS, startPaidApis, type PaidApis } from './helpers/paidApis.js';
import { page, startWebServer, type WebServer } from './helpers/webServer.js';
import { ZONES } from './helpers/zones.js';

describe('keyless providers in a job', () => {
  let dns: DnsServer;
  let web: WebServer;
  let app: Running;
  beforeAll(async () => {
    dns = await startDnsServer(ZONES);
    web = await startWebServer({ 'acme.test': page('acme.html'), 'www.initech.test': page('initech.html') });
    app = await startWithConfig({
      providers: [
        { id: 'website', kind: 'website', urls: [`http://{{domain}}:${web.port}/`] },
        { id: 'dns', kind: 'dns' },
        { id: 'email-check', kind: 'email-check' },
      ],
      net: { dnsServers: [dns.address], allowLoopbackPorts: [web.port] },
    });
  });
  afterAll(async () => {
    await app.stop();
    await Promise.all([dns.close(), web.close()]);
  });

  it('fills the sheet fields for free, flags a row whose domain resolves to a private address, and reruns from the cache', async () => {
    expect(app.logs.join('\n')).toMatch(/UNSAFE net\.allowLoopbackPorts/);
    const fields = ['company.name', 'company.emailProvider', 'company.techStack', 'person.emailStatus'];
    const rows = [
      { key: '2', input: { email: 'jane@acme.test' } },
      { key: '3', input: { email: 'info@acme.test' } },
      { key: '4', input: { email: 'bob@internal.test' } },
      { key: '5', input: { email: 'x@nomail.test', domain: 'nomail.test' } },
    ];
    const { job, rows: out } = await app.runJob(fields, rows);
    expect(job.costUsd).toBe(0);
    const byKey = Object.fromEntries(out.map((r: any) => [r.key, r]));
    expect(byKey['2']).toMatchObject({
      status: 'matched',
      values: { 'company.name': 'Acme Analytics', 'company.emailProvider': 'Google Workspace', 'person.emailStatus': 'mx_ok' },
      sources: { 'company.name': 'website', 'company.emailProvider': 'dns', 'person.emailStatus': 'email-check' },
    });
    // The tech stack adds up what the home page shows and what DNS records reveal.
    expect(byKey['2'].values['company.techStack']).toEqual(expect.arrayContaining(['HubSpot', 'WordPress', 'SendGrid', 'Atlassian']));
    expect(byKey['3'].values['person.emailStatus']).toBe('role');
    expect(byKey['4']).toMatchObject({
      status: 'failed',
      error: { code: 'blocked_address', message: expect.stringMatching(/internal\.test resolves to a private address/) },
    });
    expect(byKey['5']).toMatchObject({ values: { 'company.emailProvider': 'None', 'person.emailStatus': 'no_mx' } });
    // One home page fetch for the two acme.test rows: the second row is a cache hit.
    expect(web.requests.filter((r) => r.startsWith('acme.test ')).length).toBe(1);

    const fetched = web.requests.length;
    const asked = dns.queries.length;
    const rerun = await app.runJob(fields, rows.slice(0, 2));
    expect(rerun.rows.map((r: any) => r.status)).toEqual(['matched', 'matched']);
    expect(web.requests.length).toBe(fetched);
    expect(dns.queries.length).toBe(asked);
  });
});

describe('a "still working" answer in a job', () => {
  let apis: PaidApis;
  let app: Running;
  beforeAll(async () => {
    apis = await startPaidApis();
    app = await startWithConfig(
      {
        providers: [
          { preset: 'hunter-email-verifier', id: 'hunter-verify', vars: { apiKey: '${env:HUNTER_API_KEY}', baseUrl: `${apis.url}/hunter` }, concurrency: 1 },
        ],
      },
      { HUNTER_API_KEY: PAID_KEYS.hunter },
    );
  });
  afterAll(async () => {
    await app.stop();
    await apis.close();
  });

  it('is polled without holding the concurrency slot and billed once', async () => {
    apis.mode = 'match';
    apis.requests.length = 0;
    apis.pendingFor.set('slow@acme.test', 2);
    const created = await app.api<{ id: string }>('/v1/jobs', { fields: ['person.emailStatus'], rows: [{ key: '2', input: { email: 'slow@acme.test' } }] });
    for (let i = 0; i < 500 && apis.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    // "slow" has had its first 202 and waits 200 ms before asking again; "fast" arrives now.
    expect((await app.api(`/v1/jobs/${created.body.id}/rows`, { rows: [{ key: '3', input: { email: 'fast@acme.test' } }] })).status).toBe(202);
    let job: any;
    for (let i = 0; i < 1500; i++) {
      job = (await app.api(`/v1/jobs/${created.body.id}`)).body;
      if (job.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const rows = (await app.api(`/v1/jobs/${created.body.id}/results`)).body.rows;
    expect(rows.map((r: any) => [r.key, r.status, r.values['person.emailStatus']])).toEqual([
      ['2', 'matched', 'valid'],
      ['3', 'matched', 'valid'],
    ]);
    const order = apis.requests.map((r) => decodeURIComponent(r.url.split('email=')[1]!));
    // With one slot, "fast" can only go between the polls of "slow" if the slot was given back while "slow" waited.
    expect(order).toEqual(['slow@acme.test', 'fast@acme.test', 'slow@acme.test', 'slow@acme.test']);
    expect(job.costUsd).toBeCloseTo(2 * 0.0125, 9);
    const { body } = await app.api('/v1/metrics?window=1d');
    expect(body.providers[0]).toMatchObject({ calls: 2, matches: 2 });
  });
});
