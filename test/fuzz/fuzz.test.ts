import { expect, it } from 'vitest';
import { formatReport, runFuzz } from './run.js';

/**
 * `npm test`'s share of the fuzz suite (issue 16): a fixed seed (FUZZ_SEED
 * overrides it) and a few hundred requests against `api/main.ts` in its own
 * process. `npm run fuzz` is the long run. What is checked after every batch
 * and after the restart is described in run.ts.
 */
const seed = Number(process.env.FUZZ_SEED ?? 16_016);
const requests = Number(process.env.FUZZ_TEST_REQUESTS ?? 320);

it(`survives ${requests} fuzzed requests (seed ${seed}): no 5xx, no death, reads and a restart still work`, { timeout: 240_000 }, async () => {
  // A small shrink budget: a failure here still names the exact request; `npm run fuzz -- --seed <seed>` shrinks further.
  const report = await runFuzz({ seed, requests, pairs: 20, maxShrinks: 25 });
  const text = formatReport(report);
  expect(report.failure, text).toBeUndefined();
  expect(report.fiveXX, text).toBe(0);
  expect(report.deaths, text).toBe(0);
  expect(report.restart.problems, text).toEqual([]);
  expect(report.requests, text).toBeGreaterThanOrEqual(requests);
  // Half the requests carry adversarial values: counted from what was sent, not assumed.
  expect(report.adversarial * 2, text).toBeGreaterThanOrEqual(report.requests);
  // The run reached the engine: jobs were created and read back after the restart.
  expect(report.restart.jobs, text).toBeGreaterThan(2);
  expect(report.statuses['202'] ?? 0, text).toBeGreaterThan(0);
  // And the lead pipeline (issue 18): leads were accepted, read back by their ids, and again after the restart.
  expect(report.byEndpoint['POST /v1/leads']?.['202'] ?? 0, text).toBeGreaterThan(0);
  expect(report.leads.read, text).toBeGreaterThan(0);
  expect(report.restart.leads, text).toBeGreaterThan(0);
  // Members' wakes: the endpoint is live (no 404), and nothing the fuzzer signs is taken (no 204).
  const wakes = report.byEndpoint['POST /internal/wake'] ?? {};
  expect(Object.keys(wakes).length, text).toBeGreaterThan(0);
  expect(
    Object.keys(wakes).filter((status) => !['400', '401', '413'].includes(status)),
    text,
  ).toEqual([]);
});
