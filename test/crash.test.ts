import { createClient } from '@libsql/client';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../api/demo/simServer.js';
import { domainRows, domains, rawConfig, simProviders, type TestProvider } from './helpers/harness.js';
import { kill9, spawnServer, type Spawned } from './helpers/spawnServer.js';

let sim: SimServer | undefined;
let server: Spawned | undefined;
let dir: string | undefined;
afterEach(async () => {
  server?.child.kill('SIGKILL');
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const KEY = 'csk_crash_test_key_0123456789';

it('resumes every row after kill -9 at any point, and never re-buys an answer it had stored', async () => {
  const providers: TestProvider[] = [
    { id: 'a', fields: ['company.name'], costPerCall: 0.01, behaviour: { matchRate: { '*': 0.6 }, concurrency: 4, latency: { medianMs: 15, sigma: 0.3 } } },
    { id: 'b', fields: ['company.name', 'company.employees'], costPerMatch: 0.02, behaviour: { concurrency: 4, latency: { medianMs: 15, sigma: 0.3 } } },
  ];
  sim = await startSimServer(simProviders(providers));
  dir = mkdtempSync(join(tmpdir(), 'cascade-crash-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(rawConfig(sim.url, providers, { order: ['a', 'b'], engine: { leaseMs: 800, pollMs: 20, retryDelaysMs: [20, 40] } })));
  const dbPath = join(dir, 'cascade.db');
  const env = { CASCADE_CONFIG: configPath, CASCADE_DB: `file:${dbPath}`, CASCADE_BOOTSTRAP_KEY: KEY };
  const call = async (s: Spawned, path: string, body?: unknown) => {
    const res = await fetch(`${s.url}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    return res.json() as Promise<any>;
  };
  const storedAnswers = async () => {
    const db = createClient({ url: `file:${dbPath}` });
    const rs = await db.execute('SELECT provider_id, input_key FROM cache');
    db.close();
    return new Set(rs.rows.map((r) => `${r.provider_id}|${String(r.input_key).replace('domain=', '')}`));
  };

  const N = 400;
  server = await spawnServer(env);
  const { id } = await call(server, '/v1/jobs', { fields: ['company.name', 'company.employees'], rows: domainRows(domains(N)) });
  for (const killAt of [N / 4, N / 2]) {
    while (sim.arrivals() < killAt) await new Promise((r) => setTimeout(r, 5));
    await kill9(server);
    const stored = await storedAnswers();
    expect(stored.size).toBeGreaterThan(0);
    const mark = sim.requests.length;
    // Requests that were on the wire at the kill are answered into the void; wait them out before restarting.
    await new Promise((r) => setTimeout(r, 200));
    const settled = sim.requests.length;
    server = await spawnServer(env);
    let job;
    for (let i = 0; i < 1500; i++) {
      job = await call(server, `/v1/jobs/${id}`);
      if (job.status === 'done' || sim.arrivals() > killAt + N / 4) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const askedAgain = sim.requests.slice(settled).filter((r) => stored.has(`${r.provider}|${r.q}`));
    expect(askedAgain, 'stored answers requested again after restart').toEqual([]);
    expect(mark).toBeLessThanOrEqual(settled);
  }
  let job;
  for (let i = 0; i < 1500; i++) {
    job = await call(server, `/v1/jobs/${id}`);
    if (job.status === 'done') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(job.status).toBe('done');
  expect(job.counts.total).toBe(N);
  expect(job.counts.matched).toBe(N);
  // Every (provider, lead) answer was bought at most once, except ones lost to a kill: on the wire (8 slots),
  // or answered but not yet through the journal: the commit gathering (4 ms under load) and the one on its
  // way, allowed 10 ms on a loaded machine. At 8 slots ÷ 15 ms, some 0.53 answers a millisecond, that is 8 more.
  // Measured: 17-20 over both kills alone, 25 with the rest of the suite running beside it.
  const answered = sim.requests.filter((r) => r.status === 200 || r.status === 404).map((r) => `${r.provider}|${r.q}`);
  const lostPerKill = 8 + Math.ceil((8 / 15) * (4 + 10));
  expect(answered.length - new Set(answered).size).toBeLessThanOrEqual(2 * lostPerKill);
});
