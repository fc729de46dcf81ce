import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parseConfig } from '../../api/config/load.js';
import { startSimServer, type SimServer } from '../../api/demo/simServer.js';
import { startCascade, type Cascade } from '../../api/server.js';
import { keysStore } from '../../api/storage/keys.js';
import { domainRows, domains, rawConfig, simProviders, type TestProvider } from '../helpers/harness.js';

/** Two instances on one database: a cancel sent to one stops the job's paid calls on the other too. */
let sim: SimServer | undefined;
const instances: Cascade[] = [];
const dir = mkdtempSync(join(tmpdir(), 'cascade-cancel-'));
afterAll(async () => {
  await Promise.all(instances.map((c) => c.stop()));
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

it("stops the job's calls on every instance, not only on the one the cancel reached", async () => {
  // Two at a time for the cluster (one each): rows wait in each instance's queue for the provider.
  const providers: TestProvider[] = [{ id: 'slow', fields: ['company.name'], behaviour: { latency: { medianMs: 200, sigma: 0.05 }, concurrency: 2 } }];
  sim = await startSimServer(simProviders(providers));
  const config = parseConfig(rawConfig(sim.url, providers), {});
  const dbUrl = `file:${join(dir, 'cascade.db')}`;
  for (let i = 0; i < 2; i++) instances.push(await startCascade({ config, dbUrl, port: 0, host: '127.0.0.1', log: () => {} }));
  const [a, b] = instances as [Cascade, Cascade];
  const key = await keysStore(a.database.db).create('ws', Date.now());
  const call = async (c: Cascade, path: string, body?: unknown) =>
    (
      await fetch(`${c.url}${path}`, {
        method: body ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      })
    ).json() as Promise<any>;
  const until = async (what: string, cond: () => boolean) => {
    for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
    if (!cond()) throw new Error(`timed out waiting for ${what}`);
  };
  await until('two live members', () => a.engine.diagnostics.liveMembers().length === 2 && b.engine.diagnostics.liveMembers().length === 2);

  const { id } = await call(a, '/v1/jobs', { fields: ['company.name'], rows: domainRows(domains(200, 'com', 'cancel')) });
  await until('calls from both instances', () => sim!.arrivals() >= 10);
  expect((await call(b, `/v1/jobs/${id}/cancel`, {})).status).toBe('cancelled');
  // The other instance sees the cancel at its runner's next poll; a call already sent is let finish.
  await new Promise((r) => setTimeout(r, 1000));
  const settled = sim.arrivals();
  await new Promise((r) => setTimeout(r, 1000));
  expect(sim.arrivals()).toBe(settled);
  expect((await call(a, `/v1/jobs/${id}`)).status).toBe('cancelled');
});
