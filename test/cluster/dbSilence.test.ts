import { afterAll, expect, it } from 'vitest';
import { domainRows, domains, type TestProvider } from '../helpers/harness.js';
import { until } from '../helpers/until.js';
import { type ClusterWorld, startClusterWorld } from './world.js';

let world: ClusterWorld | undefined;
afterAll(async () => {
  world?.sqld.thaw();
  await world?.close();
});

// The cluster's default dead-after time (api/engine/cluster.ts): the server stays silent for longer.
const DEAD_AFTER_MS = 4000;
const N = 1200;
// Documented, and enforced by the sim: a member that grew into the other's share would earn 429s.
const PROVIDERS: TestProvider[] = [
  { id: 'a', fields: ['company.name'], costPerCall: 0.001, concurrency: 4, behaviour: { concurrency: 4, latency: { medianMs: 30, sigma: 0.2 } } },
];

// A bench job once stalled like this: every member unheard for seconds, each declared the others dead as it came back,
// took their rows, grew into their shares (429s), waited out a rejoin, and the job ended on one member alone.
it('a database server silent past the dead-after time kills no member: no rows taken over, no share grown, no 429', async () => {
  world = await startClusterWorld({ instances: 2, providers: PROVIDERS, engine: { pollMs: 100, retryDelaysMs: [20, 40, 80] } });
  const { instances, call, sim, sqld } = world;
  await world.allSeen();
  const { id } = await call(instances[0]!, '/v1/jobs', { fields: ['company.name'], rows: domainRows(domains(N)) });
  const finished = (job: any) => job.counts.total - job.counts.pending - job.counts.running;
  await until('a fifth of the job', async () => finished(await call(instances[1]!, `/v1/jobs/${id}`)) >= N / 5);
  sqld.freeze();
  await new Promise((r) => setTimeout(r, DEAD_AFTER_MS + 1500));
  sqld.thaw();
  let job: any;
  await until('the job to finish', async () => (job = await call(instances[0]!, `/v1/jobs/${id}`)).status !== 'running', 120_000, 100);
  expect(job).toMatchObject({ status: 'done', counts: { matched: N } });
  const logs = instances.map((s) => s.output()).join('\n');
  expect(logs).not.toContain('declared dead');
  expect(logs).not.toContain('not heard from');
  expect(sim.requests.filter((r) => r.status === 429)).toEqual([]);
  expect(sim.peakInflight.get('a')).toBeLessThanOrEqual(4);
  // Every answer bought once: nothing changed hands.
  expect(new Set(sim.requests.map((r) => r.q)).size).toBe(sim.requests.length);
});
