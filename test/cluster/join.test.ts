import { afterAll, expect, it } from 'vitest';
import { domainRows, domains } from '../helpers/harness.js';
import { until } from '../helpers/until.js';
import { type ClusterWorld, startClusterWorld } from './world.js';

// A member joining a busy cluster (scaling out on the backlog, issue 20) has no share of the providers for its
// first dead-after period (ClusterFlow): the rows it took then would wait in its hands while the others could run them.

let world: ClusterWorld | undefined;
afterAll(() => world?.close());

it('a member joining a busy cluster takes no rows before it has its share of the providers, then takes its part', async () => {
  world = await startClusterWorld({
    instances: 1,
    // About 40 rows a second, 15 s for the job: it outlasts the join (a start, then 4 s) even on a loaded machine.
    providers: [{ id: 'slow', fields: ['company.name'], behaviour: { concurrency: 2, latency: { medianMs: 50, sigma: 0.1 } } }],
    // A member holds at most 100 rows: the rest of the job waits in the database for whoever claims it.
    engine: { pollMs: 50, maxInflightRows: 100 },
  });
  const [first] = world.instances;
  const { db } = world;
  const query = async (q: string, args: (string | number)[] = []) => (await db.execute({ sql: q, args })).rows;
  const { id: jobId } = await world.call(first!, '/v1/jobs', { fields: ['company.name'], rows: domainRows(domains(600, 'com', 'join')) });
  await until('the first member to run rows', async () => (await world!.call(first!, `/v1/jobs/${jobId}`)).counts.matched > 20);

  await world.join();
  await until('the new member to register', async () => (await query('SELECT id FROM members')).length === 2);
  const [{ id: joined }] = (await query('SELECT id FROM members ORDER BY started_at DESC LIMIT 1')) as unknown as [{ id: string }];
  // For 2 of its 4 s without a share (the rest is slack for a loaded machine): it holds nothing, and the rows are run.
  const watchUntil = performance.now() + 2000;
  while (performance.now() < watchUntil) {
    const [{ n }] = (await query('SELECT count(*) AS n FROM rows WHERE locked_by = ?', [joined])) as unknown as [{ n: number }];
    expect(Number(n), 'rows held by the member still joining').toBe(0);
    await new Promise((r) => setTimeout(r, 50));
  }
  // Then it takes its part of what is left, and the job ends done, every row matched.
  await until('the new member to take rows', async () => (await query('SELECT count(*) AS n FROM rows WHERE locked_by = ?', [joined]))[0]!.n !== 0, 15_000);
  await until('the job to end', async () => (await world!.call(first!, `/v1/jobs/${jobId}`)).status !== 'running', 60_000);
  expect((await world.call(first!, `/v1/jobs/${jobId}`)).counts).toMatchObject({ total: 600, matched: 600 });
}, 120_000);
