import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../../api/demo/simServer.js';
import { domains, rawConfig, simProviders, type TestProvider } from '../helpers/harness.js';
import { spawnServer, type Spawned } from '../helpers/spawnServer.js';
import { until } from '../helpers/until.js';
import { startSqld, type Sqld } from './sqld.js';

// What one instance learns from a provider's congestion reaches the others (issue 20): they cut too, without 429s of their own.

const KEY = 'csk_cluster_congestion_key_0123456789';
const METRICS_TOKEN = 'cluster-congestion-metrics-token';
let sqld: Sqld | undefined;
let sim: SimServer | undefined;
let instances: Spawned[] = [];
const dir = mkdtempSync(join(tmpdir(), 'cascade-congestion-'));
afterAll(async () => {
  for (const s of instances) s.child.kill('SIGKILL');
  await sim?.close();
  sqld?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const metric = async (s: Spawned, name: string) => {
  const text = await (await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  return Number(new RegExp(`^${name}(?:\\{provider="tight"\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
};

it("an instance cut by a provider's 429s (no Retry-After, no documented limit) brings the others' AIMD limit down with it", async () => {
  // The sim refuses past 2 in flight and says nothing of when to come back; the config documents no limit, so AIMD finds it.
  const providers: TestProvider[] = [
    { id: 'tight', fields: ['company.name'], concurrency: null, behaviour: { concurrency: 2, retryAfter: false, latency: { medianMs: 80, sigma: 0.1 } } },
  ];
  sqld = await startSqld();
  sim = await startSimServer(simProviders(providers));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(rawConfig(sim.url, providers, { engine: { pollMs: 100, initialConcurrency: 16, retryDelaysMs: [20, 40, 80] } })));
  const env = { CASCADE_CONFIG: configPath, CASCADE_DB: sqld.url, CASCADE_BOOTSTRAP_KEY: KEY, CASCADE_METRICS_TOKEN: METRICS_TOKEN };
  instances = await Promise.all([spawnServer(env), spawnServer(env)]);
  const [one, two] = instances as [Spawned, Spawned];
  await until('both instances to see two members', async () =>
    (await Promise.all(instances.map((s) => metric(s, 'cascade_cluster_members')))).every((n) => n === 2),
  );
  const [startLimit, idleLimit] = await Promise.all(instances.map((s) => metric(s, 'cascade_provider_concurrency_limit')));
  expect(idleLimit).toBeGreaterThan(2);

  // Lookups through the first instance only, 12 at a time: it meets the provider's limit and cuts.
  await Promise.all(
    domains(12, 'com', 'tight').map((d) =>
      fetch(`${one.url}/v1/enrich`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: { domain: d }, fields: ['company.name'], deadlineMs: 10_000 }),
      }).then((r) => r.json()),
    ),
  );
  expect(await metric(one, 'cascade_provider_congestion_total')).toBeGreaterThan(0);
  const cutTo = await metric(one, 'cascade_provider_concurrency_limit');
  expect(cutTo).toBeLessThan(startLimit!);
  // The second sent nothing and met nothing, yet its limit comes down to its part of the first's (the same: two members).
  await until('the second instance to cut', async () => (await metric(two, 'cascade_provider_concurrency_limit')) < idleLimit!, 5000);
  expect(await metric(two, 'cascade_provider_concurrency_limit')).toBeLessThanOrEqual(Math.max(1, cutTo));
  expect(await metric(two, 'cascade_provider_congestion_total')).toBe(0);
  expect(sim.requests.filter((r) => r.status === 429).length).toBeGreaterThan(0);
}, 60_000);
