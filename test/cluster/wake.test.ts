import { randomBytes } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { WAKE_PATH } from '../../shared/index.js';
import { WakeSeal } from '../../api/engine/wakeSeal.js';
import { domainRows, domains } from '../helpers/harness.js';
import { until } from '../helpers/until.js';
import { type ClusterWorld, startClusterWorld } from './world.js';

// Members wake each other when jobs change (api/engine/peerWakes.ts). Their runners poll once a minute here, so within
// the test only a wake can tell a member of a job created through another, or of a cancel sent to another.

const TOKEN_KEY = randomBytes(32);
let world: ClusterWorld | undefined;
afterAll(() => world?.close());

it('a job created through one member is run by every member at once, and a cancel sent to one stops the others’ calls', async () => {
  world = await startClusterWorld({
    instances: 3,
    // Three calls at a time for the cluster, one per member: about 60 rows a second, a 300-row job lasts some 5 s.
    providers: [{ id: 'p', fields: ['company.name'], behaviour: { concurrency: 3, latency: { medianMs: 50, sigma: 0.1 } } }],
    engine: { pollMs: 60_000 },
    env: { CASCADE_TOKEN_KEY: TOKEN_KEY.toString('base64'), CASCADE_CLUSTER_URL: 'auto' },
  });
  const w = world;
  const [a, b, c] = w.instances as [(typeof w.instances)[0], (typeof w.instances)[0], (typeof w.instances)[0]];
  const client = w.db;
  await w.allSeen();
  // Every member has said where it takes wakes, and has its share (the joiners wait out the dead-after time first).
  await until(
    'every member to advertise its address',
    async () => (await client.execute('SELECT count(*) AS n FROM members WHERE url IS NOT NULL')).rows[0]!.n === 3,
  );
  await until(
    'every member to have its share',
    async () => (await Promise.all(w.instances.map((s) => w.metric(s, 'cascade_provider_concurrency_limit', 'provider="p"')))).every((n) => n === 1),
    20_000,
  );
  const processed = () => Promise.all(w.instances.map((s) => w.metric(s, 'cascade_rows_processed_total')));

  const { id: first } = await w.call(a, '/v1/jobs', { fields: ['company.name'], rows: domainRows(domains(300, 'com', 'wake')) });
  await until('the job to end', async () => (await w.call(a, `/v1/jobs/${first}`)).status !== 'running', 60_000);
  expect((await w.call(a, `/v1/jobs/${first}`)).counts).toMatchObject({ total: 300, matched: 300 });
  // Without the wakes, b and c would have found the job at their next poll, a minute away: a would have run it all.
  const [byA, byB, byC] = await processed();
  expect(byB, 'rows b ran').toBeGreaterThan(50);
  expect(byC, 'rows c ran').toBeGreaterThan(50);
  expect(byA! + byB! + byC!).toBe(300);

  // A cancel sent to a: b and c hear of it at once, and send nothing more than the calls they had on the wire.
  const { id: second } = await w.call(a, '/v1/jobs', { fields: ['company.name'], rows: domainRows(domains(300, 'com', 'cancelled')) });
  const before = await processed();
  await until('b and c to run rows of it', async () => (await processed()).every((n, i) => i === 0 || n > before[i]! + 5));
  await w.call(a, `/v1/jobs/${second}/cancel`, {});
  const atCancel = w.sim.arrivals();
  await until(
    'no row of the cancelled job to be held',
    async () => (await client.execute({ sql: "SELECT count(*) AS n FROM rows WHERE job_id = ? AND status = 'running'", args: [second] })).rows[0]!.n === 0,
    20_000,
  );
  // A few at most: b and c hear of it a round trip after a answers, and each has one call's slot; a loaded machine may let
  // one or two more start before the wake is read. Without the wake they ran their rows on: 182 calls more.
  expect(w.sim.arrivals() - atCancel).toBeLessThanOrEqual(8);

  // The wake endpoint takes only what the cluster's key signed, for this member, once.
  const post = (body: unknown) =>
    fetch(`${b.url}${WAKE_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const [{ id: bId }] = (await client.execute({ sql: 'SELECT id FROM members WHERE url = ?', args: [b.url] })).rows as unknown as [{ id: string }];
  const seal = new WakeSeal(TOKEN_KEY);
  const wake = seal.sign('test', bId, Date.now());
  expect((await post(wake)).status).toBe(204);
  const replay = await post(wake);
  expect(replay.status).toBe(401);
  expect(((await replay.json()) as { error: { message: string } }).error.message).toMatch(/taken already/);
  expect((await post(new WakeSeal(randomBytes(32)).sign('test', bId, Date.now() + 1))).status).toBe(401);
  expect((await post(seal.sign('test', 'someone-else', Date.now() + 2))).status).toBe(401);
  expect((await post({ ...wake, sig: 'short' })).status).toBe(400);
  expect((await fetch(`${c.url}${WAKE_PATH}`, { method: 'POST', body: 'not json' })).status).toBe(400);
}, 180_000);
