import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../api/config/load.js';
import { startSimServer, type SimServer } from '../api/demo/simServer.js';
import { createLog } from '../api/log.js';
import { startCascade, type Cascade } from '../api/server.js';
import { keysStore } from '../api/storage/keys.js';
import { startSheetsServer, type SheetsServer } from './google/sheets/index.js';
import { domains, rawConfig, simProviders, type TestProvider } from './helpers/harness.js';
import { FAST_SHEETS, leadsTab, sheetRows } from './sheets/harness.js';

const PROVIDER_KEY = 'sk_live_provider_secret_0123456789';
const API_KEY = 'csk_observability_api_key_0123456789abcdef';
const GOOGLE_TOKEN = 'ya29.observability-google-token-0123456789';
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const SECRETS = [PROVIDER_KEY, API_KEY, GOOGLE_TOKEN, METRICS_TOKEN];

const PROVIDERS: TestProvider[] = [
  // alpha answers about half the leads (404 for the rest) and bills per call and per match; beta starts with a 429 storm.
  { id: 'alpha', fields: ['company.name'], behaviour: { matchRate: { '*': 0.5 } }, costPerCall: 0.01, costPerMatch: 0.02 },
  { id: 'beta', fields: ['company.employees'], behaviour: { storm: { remaining: 3, retryAfterS: 0 } } },
];

interface Setup {
  cascade: Cascade;
  sim: SimServer;
  sheets: SheetsServer;
  lines: string[];
  dir: string;
}
let s: Setup | undefined;

afterEach(async () => {
  if (!s) return;
  await s.cascade.stop();
  await s.sim.close();
  await s.sheets.close();
  rmSync(s.dir, { recursive: true, force: true });
  s = undefined;
});

/** The real server, logging through the real logger into `lines`, with a provider key from the config's environment. */
async function start(metricsToken?: string): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'cascade-obs-'));
  const sim = await startSimServer(simProviders(PROVIDERS));
  const sheets = await startSheetsServer();
  const raw = rawConfig(sim.url, PROVIDERS) as { providers: { request: Record<string, unknown> }[] };
  for (const p of raw.providers) p.request.headers = { authorization: 'Bearer ${env:SIM_KEY}' };
  const config = parseConfig(raw, { SIM_KEY: PROVIDER_KEY });
  expect(config.secrets).toContain(PROVIDER_KEY);
  const lines: string[] = [];
  const cascade = await startCascade({
    config,
    dbUrl: `file:${join(dir, 'cascade.db')}`,
    port: 0,
    host: '127.0.0.1',
    bootstrapKey: API_KEY,
    // As api/main.ts builds it: the config's secrets and the bootstrap key.
    log: createLog([...config.secrets, API_KEY], (l) => lines.push(l)),
    sheets: { ...FAST_SHEETS, rootUrl: sheets.url },
    metricsToken,
  });
  await keysStore(cascade.database.db).workspaceOf(API_KEY);
  return { cascade, sim, sheets, lines, dir };
}

async function api(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${s!.cascade.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { authorization: `Bearer ${API_KEY}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, id: res.headers.get('x-request-id'), body: text ? JSON.parse(text) : undefined };
}

async function waitFor(id: string, done: (view: any) => boolean) {
  for (let i = 0; i < 500; i++) {
    const { body } = await api(`/v1/jobs/${id}`);
    if (done(body)) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} not settled`);
}

const scrape = async (token?: string) => {
  const res = await fetch(`${s!.cascade.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};

/** The samples of one family, by their labels (`provider=alpha,outcome=match`), as numbers. */
function family(text: string, name: string) {
  const f = parsePrometheusTextFormat(text).find((m) => m.name === name);
  expect(f, name).toBeDefined();
  return f!;
}
const labelKey = (labels: Record<string, string> | undefined) =>
  Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
/** Every sample named so; the parser starts a new family each time the sample name changes (a histogram's series interleave). */
const values = (text: string, name: string) =>
  new Map(
    parsePrometheusTextFormat(text)
      .filter((m) => m.name === name)
      .flatMap((f) => f.metrics.map((m) => [labelKey(m.labels), Number(m.value)] as const)),
  );
/**
 * A histogram's `_count` series by labels. parse-prometheus-text-format 1.1.1
 * folds a labelled histogram's series into one sample without labels, so the
 * family is read again declared untyped: its `_count` lines then parse as samples.
 */
function histogramCounts(text: string, name: string) {
  expect(family(text, name).type).toBe('HISTOGRAM');
  return values(text.replace(`# TYPE ${name} histogram`, `# TYPE ${name} untyped`), `${name}_count`);
}

describe('GET /metrics and the logs', () => {
  it('counts what the providers received, the spend, cache hits, rows and Sheets requests; the logs are JSON with request ids and no secret', async () => {
    s = await start(METRICS_TOKEN);
    const list = domains(30, 'com', 'obs');
    s.sheets.model.create('book1', [{ title: 'Leads', values: leadsTab(list) }]);
    s.sheets.auth.grant(GOOGLE_TOKEN, 'alice');
    const fields = ['company.name', 'company.employees'];

    // A job written back to the sheet with the user's Google token, then the same leads again: all from the cache.
    const first = await api('/v1/jobs', {
      body: { fields, rows: sheetRows(list), sheet: { spreadsheetId: 'book1', sheetName: 'Leads', statusColumn: 'Status' }, googleAccessToken: GOOGLE_TOKEN },
    });
    expect(first.status).toBe(202);
    const firstView = await waitFor(first.body.id, (v) => v.status !== 'running' && v.sheet?.state === 'done');
    expect(firstView.sheet.written).toBe(list.length);
    const second = await api('/v1/jobs', { body: { fields, rows: sheetRows(list) } });
    await waitFor(second.body.id, (v) => v.status !== 'running');
    // Secrets where a careless client puts them: in the query string. They reach the request's log line, scrubbed.
    const leaky = await api(`/v1/jobs/${first.body.id}?key=${API_KEY}&access_token=${GOOGLE_TOKEN}`, { headers: { 'x-request-id': 'client-req-0001' } });
    expect(leaky.id).toBe('client-req-0001');

    // Protected: no token or a wrong one is refused; the right one gets Prometheus text.
    expect((await scrape()).status).toBe(401);
    expect((await scrape(`${METRICS_TOKEN}x`)).status).toBe(401);
    expect((await scrape(API_KEY)).status).toBe(401);
    const { status, type, text } = await scrape(METRICS_TOKEN);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);

    // Every request each simulated provider received, by how it was answered, and nothing else.
    const requests = values(text, 'cascade_provider_requests_total');
    const latency = histogramCounts(text, 'cascade_provider_request_duration_seconds');
    const spend = values(text, 'cascade_provider_spend_usd_total');
    const hits = values(text, 'cascade_provider_cache_hits_total');
    const expectedSpend = { alpha: (answered: number, matches: number) => answered * 0.01 + matches * 0.02, beta: () => 0 };
    for (const p of ['alpha', 'beta'] as const) {
      const got = s.sim.requests.filter((r) => r.provider === p);
      const byStatus = (st: number) => got.filter((r) => r.status === st).length;
      const outcome = (o: string) => requests.get(`provider=${p},outcome=${o}`) ?? 0;
      expect(got.length).toBeGreaterThan(0);
      expect([...requests].filter(([k]) => k.startsWith(`provider=${p},`)).reduce((a, [, v]) => a + v, 0)).toBe(got.length);
      expect(outcome('match')).toBe(byStatus(200));
      expect(outcome('no_match')).toBe(byStatus(404));
      expect(outcome('rate_limited')).toBe(byStatus(429));
      expect(latency.get(`provider=${p}`)).toBe(got.length);
      expect(spend.get(`provider=${p}`) ?? 0).toBeCloseTo(expectedSpend[p](byStatus(200) + byStatus(404), byStatus(200)), 9);
      // The second job's leads were all answered from the cache, once per provider each.
      expect(hits.get(`provider=${p}`)).toBe(list.length);
    }
    expect(requests.get('provider=beta,outcome=rate_limited')).toBe(3);
    // Nothing is on the wire or waiting once both jobs are done.
    expect([...values(text, 'cascade_provider_in_flight').values()].every((v) => v === 0)).toBe(true);
    expect([...values(text, 'cascade_provider_waiting').values()]).toEqual([0, 0]);
    expect(values(text, 'cascade_rows_in_hand').get('')).toBe(0);
    // The cluster's backlog, from the database: nothing left of either job.
    expect(family(text, 'cascade_backlog_rows').type).toBe('GAUGE');
    expect(Object.fromEntries(values(text, 'cascade_backlog_rows'))).toEqual({ 'state=due': 0, 'state=later': 0 });
    expect(family(text, 'cascade_backlog_effects').type).toBe('GAUGE');
    expect(values(text, 'cascade_rows_processed_total').get('')).toBeGreaterThanOrEqual(list.length);
    expect(values(text, 'cascade_jobs_finished_total').get('')).toBeGreaterThanOrEqual(1);

    // Sheets: the rows the job wrote, and the writes the local Sheets server accepted.
    expect(values(text, 'cascade_sheets_rows_written_total').get('')).toBe(list.length);
    const sheetRequests = values(text, 'cascade_sheets_requests_total');
    expect(sheetRequests.get('kind=write')).toBeGreaterThanOrEqual(1);
    expect(sheetRequests.get('kind=anchor')).toBeGreaterThanOrEqual(1);
    expect(values(text, 'cascade_sheets_retries_total').get('')).toBe(0);
    // One instance, no takeover: nothing was in doubt.
    expect(values(text, 'cascade_sheets_rows_found_written_total').get('')).toBe(0);
    expect(family(text, 'cascade_sheets_quota_wait_seconds_total').type).toBe('COUNTER');

    // The logs: JSON lines, no secret anywhere, each request's line tied to the id its client got.
    const all = s.lines.join('\n');
    for (const secret of SECRETS) expect(all).not.toContain(secret);
    const logged = s.lines.map((l) => JSON.parse(l));
    const access = logged.filter((l) => l.msg === 'request');
    expect(access.length).toBeGreaterThan(5);
    expect(access.every((l) => typeof l.reqId === 'string' && l.reqId.length > 0)).toBe(true);
    expect(new Set(access.map((l) => l.reqId)).size).toBe(access.length);
    const leakyLine = access.find((l) => l.reqId === 'client-req-0001');
    expect(leakyLine).toMatchObject({
      workspace: 'default',
      job: first.body.id,
      status: 200,
      url: `/v1/jobs/${first.body.id}?key=[redacted]&access_token=[redacted]`,
    });
    expect(access.find((l) => l.reqId === first.id)).toMatchObject({ method: 'POST', url: '/v1/jobs', status: 202, workspace: 'default' });
    expect(logged.some((l) => l.msg === 'job done' && l.job === first.body.id)).toBe(true);
  });

  it('has no /metrics without a token', async () => {
    s = await start(undefined);
    expect((await scrape()).status).toBe(404);
    expect((await scrape(METRICS_TOKEN)).status).toBe(404);
  });
});
