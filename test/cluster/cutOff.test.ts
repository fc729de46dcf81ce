import { afterAll, expect, it } from 'vitest';
import { domainRows, domains } from '../helpers/harness.js';
import { until } from '../helpers/until.js';
import { type ClusterWorld, startClusterWorld } from './world.js';

// A member that reaches the database but not the providers (its own way out is broken: a firewall, a proxy) is cut
// off (flow/reachability.ts): it takes no rows, so the rows it released for a retry are run by the members that reach
// the providers, not taken back by it, the quickest to claim, until their tries run out.

let world: ClusterWorld | undefined;
afterAll(() => world?.close());

it('a member cut off from the providers leaves its rows to the others: every row matched, none flagged failed', async () => {
  world = await startClusterWorld({
    instances: 2,
    providers: [{ id: 'firmo', fields: ['company.name'], behaviour: { concurrency: 8, latency: { medianMs: 20, sigma: 0.1 } } }],
    // Quick retries: a row the cut-off member kept taking back used up its tries in a fraction of a second.
    engine: { pollMs: 50, retryDelaysMs: [20, 40, 80] },
  });
  // Port 9 (discard) refuses connections on 127.0.0.1: every call from this member goes unanswered.
  await world.join({ providersAt: 'http://127.0.0.1:9' });
  await world.allSeen();
  // The new member takes its share (and rows) once a dead-after period has passed since it joined.
  await new Promise((r) => setTimeout(r, 4500));
  const [first] = world.instances;
  const { id: jobId } = await world.call(first!, '/v1/jobs', { fields: ['company.name'], rows: domainRows(domains(600, 'com', 'cut')) });
  await until('the job to end', async () => (await world!.call(first!, `/v1/jobs/${jobId}`)).status !== 'running', 90_000);
  const { counts } = await world.call(first!, `/v1/jobs/${jobId}`);
  expect(counts).toMatchObject({ total: 600, matched: 600, failed: 0 });
}, 150_000);
