import { afterAll, expect, it } from 'vitest';
import { ARRIVAL_JITTER_MS } from '../../api/flow/rateWindow.js';
import { domains } from '../helpers/harness.js';
import { until } from '../helpers/until.js';
import { type ClusterWorld, startClusterWorld } from './world.js';

// What one instance learns from a provider's congestion reaches the others (issue 20): they cut too, or widen their
// margin under a documented rate, without 429s of their own.

let world: ClusterWorld | undefined;
afterAll(() => world?.close());

it("an instance cut by a provider's 429s (no Retry-After, no documented limit) brings the others' AIMD limit down with it", async () => {
  // The sim refuses past 2 in flight and says nothing of when to come back; the config documents no limit, so AIMD finds it.
  world = await startClusterWorld({
    instances: 2,
    providers: [
      { id: 'tight', fields: ['company.name'], concurrency: null, behaviour: { concurrency: 2, retryAfter: false, latency: { medianMs: 80, sigma: 0.1 } } },
      // A documented rate the sim answers the first requests over with 429s (and a Retry-After): as if it saw them bunched.
      { id: 'bunched', fields: ['company.employees'], ratePerSecond: 40, behaviour: { storm: { remaining: 2, retryAfterS: 1 } } },
    ],
    engine: { pollMs: 100, initialConcurrency: 16, retryDelaysMs: [20, 40, 80] },
  });
  const { instances, call, sim } = world;
  const [one, two] = instances as [(typeof instances)[0], (typeof instances)[0]];
  const limit = (s: typeof one) => world!.metric(s, 'cascade_provider_concurrency_limit', 'provider="tight"');
  const congestion = (s: typeof one) => world!.metric(s, 'cascade_provider_congestion_total', 'provider="tight"');
  await world.allSeen();
  const [startLimit, idleLimit] = await Promise.all(instances.map(limit));
  expect(idleLimit).toBeGreaterThan(2);

  // Lookups through the first instance only, 12 at a time: it meets the provider's limit and cuts.
  await Promise.all(domains(12, 'com', 'tight').map((d) => call(one, '/v1/enrich', { input: { domain: d }, fields: ['company.name'], deadlineMs: 10_000 })));
  expect(await congestion(one)).toBeGreaterThan(0);
  const cutTo = await limit(one);
  expect(cutTo).toBeLessThan(startLimit!);
  // The second sent nothing and met nothing, yet its limit comes down to its part of the first's (the same: two members).
  await until('the second instance to cut', async () => (await limit(two)) < idleLimit!, 5000);
  expect(await limit(two)).toBeLessThanOrEqual(Math.max(1, cutTo));
  expect(await congestion(two)).toBe(0);
  expect(sim.requests.filter((r) => r.status === 429).length).toBeGreaterThan(0);
}, 60_000);

it('a 429 under a documented rate, met by one instance, widens every instance’s margin for arrival jitter', async () => {
  const { instances, call, sim } = world!;
  const [one, two] = instances as [(typeof instances)[0], (typeof instances)[0]];
  const margin = (s: typeof one) => world!.metric(s, 'cascade_provider_rate_margin_ms', 'provider="bunched"');
  expect(await Promise.all(instances.map(margin))).toEqual([ARRIVAL_JITTER_MS, ARRIVAL_JITTER_MS]);
  await Promise.all(
    domains(4, 'com', 'bunched').map((d) => call(one, '/v1/enrich', { input: { domain: d }, fields: ['company.employees'], deadlineMs: 10_000 })),
  );
  expect(sim.requests.filter((r) => r.provider === 'bunched' && r.status === 429).length).toBe(2);
  expect(await margin(one)).toBeGreaterThan(ARRIVAL_JITTER_MS);
  // The second sent nothing to it, yet keeps the wider margin: the provider sees the cluster's starts, not one member's.
  await until('the second instance to widen', async () => (await margin(two)) === (await margin(one)), 5000);
  expect(await world!.metric(two, 'cascade_provider_congestion_total', 'provider="bunched"')).toBe(0);
}, 60_000);
