import { createClient } from '@libsql/client';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../api/demo/simServer.js';
import { rawConfig, simProviders, type TestProvider } from './helpers/harness.js';
import { spawnServer, type Spawned } from './helpers/spawnServer.js';

/**
 * Issue 16's cases 1–7 and 10, each a request that once killed the process
 * (libsql aborts on reading text that is not UTF-8), failed a whole batch
 * for one cell, or flagged a row as retryable where its input was the
 * problem. The server is its own process, so an abort shows as a death, and
 * every case ends by checking that it lives and that reads still work.
 */

const KEY = 'csk_boundary_test_key_0123456789';
const providers: TestProvider[] = [
  { id: 'firmo', fields: ['company.name'] },
  { id: 'people', fields: ['person.title'], input: 'email' },
  { id: 'corp', fields: ['company.industry'], input: 'company' },
  { id: 'li', fields: ['person.seniority'], input: 'linkedinUrl' },
];
// A provider whose URL takes its host from the row: some inputs can never form that URL.
const hostProvider = {
  id: 'hostly',
  kind: 'http',
  input: 'company',
  fields: ['company.description'],
  request: { method: 'GET', url: 'https://{{company}}.example/about' },
  response: { map: { 'company.description': '/about' } },
};

let sim: SimServer;
let server: Spawned;
let dir: string;
let configPath: string;
let dbPath: string;
let databases = 0;
const env = () => ({ CASCADE_CONFIG: configPath, CASCADE_DB: `file:${dbPath}`, CASCADE_BOOTSTRAP_KEY: KEY });

/** A server on a database of its own: each case is judged on its own, whatever an earlier one did to the process. */
async function freshServer() {
  server?.child.kill('SIGKILL');
  dbPath = join(dir, `cascade-${++databases}.db`);
  server = await spawnServer(env());
}

const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
    // JSON.stringify writes an unpaired surrogate as a `\ud800` escape: valid JSON that parses back to it.
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

const BROKEN = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|\0/;

async function waitDone(id: string) {
  for (let i = 0; i < 1500; i++) {
    const { status, body } = await send('GET', `/v1/jobs/${id}`);
    expect(status).toBe(200);
    if (body.status !== 'running') return body;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`job ${id} still running`);
}

async function results(id: string) {
  const { status, body } = await send('GET', `/v1/jobs/${id}/results?limit=5000`);
  expect(status).toBe(200);
  // Whatever a row says comes back as text that can be stored and shown.
  expect(JSON.stringify(body)).not.toMatch(BROKEN);
  return new Map<string, any>(body.rows.map((r: any) => [r.key, r]));
}

async function expectAlive() {
  expect(server.child.exitCode, server.output()).toBeNull();
  const res = await fetch(`${server.url}/health`);
  expect(res.status).toBe(200);
  const metrics = await send('GET', '/v1/metrics?window=7d');
  expect(metrics.status).toBe(200);
}

const job = (rows: unknown[], fields = ['company.name'], extra: Record<string, unknown> = {}) => send('POST', '/v1/jobs', { fields, rows, ...extra });

beforeAll(async () => {
  sim = await startSimServer(simProviders(providers));
  dir = mkdtempSync(join(tmpdir(), 'cascade-boundary-'));
  configPath = join(dir, 'config.json');
  const config = rawConfig(sim.url, providers);
  writeFileSync(configPath, JSON.stringify({ ...config, providers: [...config.providers, hostProvider] }));
  await freshServer();
}, 60_000);

// An earlier case that killed the process (or left its database unreadable) must not fail the next one too.
beforeEach(async () => {
  if (server.child.exitCode !== null || server.child.signalCode !== null) await freshServer();
}, 60_000);

afterAll(async () => {
  server?.child.kill('SIGKILL');
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('identifiers that cannot be stored faithfully are refused with their path', () => {
  it('1: a row key holding an unpaired surrogate, in a new job or an appended batch', async () => {
    const created = await job([{ key: '\ud800', input: { domain: 'acme.com' } }]);
    expect(created.status).toBe(400);
    expect(created.body.error).toMatchObject({ code: 'invalid_body', path: 'rows[0].key' });
    const { body } = await job([{ key: '2', input: { domain: 'acme.com' } }]);
    const appended = await send('POST', `/v1/jobs/${body.id}/rows`, { rows: [{ key: 'k\ud800', input: { domain: 'globex.com' } }] });
    expect(appended.status).toBe(400);
    expect(appended.body.error.path).toBe('rows[0].key');
    await waitDone(body.id);
    await new Promise((r) => setTimeout(r, 1500)); // the abort came about a second after the write
    await expectAlive();
  });

  it('7: NUL in row keys and in a sheet name', async () => {
    const keys = await job([
      { key: 'a\u0000b', input: { domain: 'acme.com' } },
      { key: 'a\u0000c', input: { domain: 'globex.com' } },
    ]);
    expect(keys.status).toBe(400);
    expect(keys.body.error.path).toBe('rows[0].key');
    const sheet = await job([{ key: '2', input: { domain: 'acme.com' } }], ['company.name'], {
      sheet: { spreadsheetId: 'abc123', sheetName: 'Le\u0000ads' },
    });
    expect(sheet.status).toBe(400);
    expect(sheet.body.error.path).toBe('sheet.sheetName');
    await expectAlive();
  });
});

describe('a cell that cannot be used flags its own row, and the rest of the batch runs', () => {
  it('2, 3: an email or domain with a broken character, and a message that would have cut an emoji in half', async () => {
    const { status, body } = await job(
      [
        { key: '2', input: { email: '\ud800@example.com' } },
        { key: '3', input: { domain: 'ex\ud800.com' } },
        { key: '4', input: { domain: `${'a'.repeat(79)}😀` } },
        { key: '5', input: { domain: 'initech.com' } },
      ],
      ['company.name', 'person.title'],
    );
    expect(status).toBe(202);
    await waitDone(body.id);
    const rows = await results(body.id);
    expect(rows.get('2')).toMatchObject({ status: 'invalid_input', error: { code: 'invalid_input' } });
    expect(rows.get('2').error.message).toMatch(/^email: .*broken character/);
    expect(rows.get('3').error.message).toMatch(/^domain: .*broken character/);
    expect(rows.get('4')).toMatchObject({ status: 'invalid_input' });
    expect(rows.get('4').error.message).toMatch(/^domain: "a{79}…" is not a domain/);
    expect(rows.get('5').status).not.toBe('invalid_input');
    await expectAlive();
  });

  it('4: a company with a broken character never reaches the cache, so later lookups of it stay safe', async () => {
    const input = { company: 'Acme\ud800' };
    const first = await send('POST', '/v1/enrich', { input, fields: ['company.industry'], deadlineMs: 2000 });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'invalid_input', error: { code: 'invalid_input' } });
    const { body } = await job([{ key: '2', input }], ['company.industry']);
    await waitDone(body.id);
    expect((await results(body.id)).get('2').status).toBe('invalid_input');
    const again = await send('POST', '/v1/enrich', { input, fields: ['company.industry'], deadlineMs: 2000 });
    expect(again.status).toBe(200);
    const estimate = await send('POST', '/v1/estimate', { fields: ['company.industry'], inputs: [input, { company: 'Acme' }] });
    expect(estimate.status).toBe(200);
    expect(estimate.body).toMatchObject({ rows: 2, invalid: 1 });
    expect(sim.requests.filter((r) => r.provider === 'corp' && r.q.toLowerCase().startsWith('acme\ufffd'))).toEqual([]);
    await expectAlive();
  });

  it('5: a LinkedIn URL with a broken percent escape is flagged on every route that reads inputs', async () => {
    const bad = { linkedinUrl: 'https://www.linkedin.com/in/100%-sales' };
    const good = { linkedinUrl: 'https://www.linkedin.com/in/jane-doe' };
    const created = await job(
      [
        { key: '2', input: bad },
        { key: '3', input: good },
      ],
      ['person.seniority'],
    );
    expect(created.status).toBe(202);
    const appended = await send('POST', `/v1/jobs/${created.body.id}/rows`, { rows: [{ key: '4', input: bad }] });
    expect(appended.status).toBe(202);
    const estimate = await send('POST', '/v1/estimate', { fields: ['person.seniority'], inputs: [bad, good] });
    expect(estimate.status).toBe(200);
    expect(estimate.body.invalid).toBe(1);
    const enrich = await send('POST', '/v1/enrich', { input: bad, fields: ['person.seniority'], deadlineMs: 2000 });
    expect(enrich.status).toBe(200);
    expect(enrich.body.status).toBe('invalid_input');
    await waitDone(created.body.id);
    const rows = await results(created.body.id);
    expect(rows.get('2').error.message).toMatch(/^linkedinUrl: /);
    expect(rows.get('3').status).toBe('matched');
    expect(rows.get('4').status).toBe('invalid_input');
    await expectAlive();
  });

  it('6: a value over the per-cell limit flags its row instead of refusing the batch', async () => {
    const long = `https://acme.com/${'x'.repeat(2100)}`;
    const { status, body } = await job([
      { key: '2', input: { domain: long } },
      { key: '3', input: { domain: 'umbrella.com' } },
    ]);
    expect(status).toBe(202);
    await waitDone(body.id);
    const rows = await results(body.id);
    expect(rows.get('2')).toMatchObject({ status: 'invalid_input', error: { message: 'domain: is 2,117 characters long; at most 2,048 are read' } });
    expect(rows.get('3').status).toBe('matched');
  });

  it("10: an input that can never be part of a provider URL's host is invalid input, not a retryable failure", async () => {
    const { body } = await job(
      [
        { key: '2', input: { company: 'a:b' } },
        { key: '3', input: { company: 'x/y@z' } },
      ],
      ['company.description'],
    );
    await waitDone(body.id);
    const rows = await results(body.id);
    for (const key of ['2', '3']) {
      expect(rows.get(key)).toMatchObject({ status: 'invalid_input', error: { code: 'invalid_input' } });
      expect(rows.get(key).error.message).toMatch(/^company: .* cannot be part of a host name, as hostly's URL needs$/);
    }
    await expectAlive();
  });
});

describe('a database that already holds unreadable text', () => {
  it('is repaired at start, once, with a log line; every read works afterwards', async () => {
    const { body } = await job([
      { key: 'poison', input: { domain: 'acme.com' } },
      { key: 'nul', input: { domain: 'globex.com' } },
    ]);
    await waitDone(body.id);
    const enriched = await send('POST', '/v1/enrich', { input: { company: 'Acme' }, fields: ['company.industry'], deadlineMs: 2000 });
    expect(enriched.status).toBe(200);
    server.child.kill('SIGKILL');
    await new Promise((r) => server.child.once('exit', r));

    // What an earlier version wrote: SQLite's JSON functions decode a `\ud800` escape into bytes that are not UTF-8.
    const db = createClient({ url: `file:${dbPath}` });
    await db.execute(`UPDATE rows SET key = json_extract('["k\\ud800"]', '$[0]') WHERE key = 'poison'`);
    await db.execute(`UPDATE rows SET key = 'a' || char(0) || 'b' WHERE key = 'nul'`);
    await db.execute(`UPDATE cache SET input_key = json_extract('["company=acme\\ud83d"]', '$[0]') WHERE input_key = 'company=acme'`);
    await db.execute('PRAGMA user_version = 0'); // as a database no version of this repair has seen
    const bad = await db.execute(`SELECT hex(key) AS h FROM rows WHERE job_id = '${body.id}' ORDER BY seq`);
    expect(bad.rows.map((r) => r.h)).toEqual(['6BEDA080', '610062']);
    db.close();

    server = await spawnServer(env());
    expect(server.output()).toMatch(/repaired 3 stored values/);
    const rows = await results(body.id);
    expect([...rows.keys()].sort()).toEqual(['a\ufffdb', 'k\ufffd\ufffd\ufffd']);
    const again = await send('POST', '/v1/enrich', { input: { company: 'Acme' }, fields: ['company.industry'], deadlineMs: 2000 });
    expect(again.status).toBe(200);
    await expectAlive();

    // Once repaired, a restart does not search again.
    server.child.kill('SIGKILL');
    await new Promise((r) => server.child.once('exit', r));
    server = await spawnServer(env());
    expect(server.output()).not.toMatch(/repaired/);
    await results(body.id);
    await expectAlive();
  }, 60_000);
});
