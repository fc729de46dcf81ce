import { expect, it } from 'vitest';
import { CLUSTER_PROVIDERS, describeRun, runClusterJob } from '../bench/clusterScenario.js';

// Three instances on one sqld, started together: a 2,000-row job created on the first, at sims that enforce the
// documented limits with 429s and count what is in flight summed over instances. One instance is killed at 40%, so
// the survivors' shares grow while calls are out. The job starts at once, not once joiners have waited out their
// dead-after time: the cluster's limits must hold while shares are being set, too. The test's own limit is well past
// the job's (90 s), so a slow run ends in the job's finally, which stops sqld and the instances, not orphaned.
it('three instances keep every provider’s documented concurrency and rate between them, through a join and a death: peak in flight ≤ documented, no 429', async () => {
  const run = await runClusterJob({ instances: 3, rows: 2000, killAt: 0.4, timeoutMs: 90_000 });
  console.log(`cluster flow: ${describeRun(run)}`);
  expect(run).toMatchObject({ status: 'done', matched: 2000, killedOne: true });
  for (const p of CLUSTER_PROVIDERS) expect(run.peakInflight[p.id], `peak in flight at ${p.id}`).toBeLessThanOrEqual(p.behaviour!.concurrency!);
  expect(run.tooMany, '429s').toBe(0);
}, 200_000);
