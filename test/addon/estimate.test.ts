import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domains, startHarness, type Harness } from '../helpers/harness.js';

// The add-on shows this before a job runs: rows already cached (free) and what the rest would cost.
describe('POST /v1/estimate', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness([
      { id: 'cheap', fields: ['company.name'], costPerCall: 0.01, behaviour: { matchRate: { '*': 0.5 }, latency: { medianMs: 2, sigma: 0.1 } } },
      {
        id: 'dear',
        fields: ['company.name', 'company.industry'],
        costPerMatch: 0.1,
        behaviour: { matchRate: { '*': 1 }, latency: { medianMs: 2, sigma: 0.1 } },
      },
    ]);
  });
  afterAll(() => h?.stop());

  const fields = ['company.name', 'company.industry'];

  it('prices uncached rows without calling anyone, counts invalid ones, and finds them free once cached', async () => {
    const list = domains(40, 'com', 'est');
    const inputs = [...list.map((domain) => ({ domain })), { domain: 'not a domain' }];
    const before = await h.api('/v1/estimate', { body: { fields, inputs } });
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ rows: 41, invalid: 1, cached: 0 });
    // Worst case: both providers paid for each valid row.
    expect(before.body.maxCostUsd).toBeCloseTo(40 * (0.01 + 0.1), 6);
    expect(before.body.expectedCostUsd).toBeGreaterThan(0);
    expect(before.body.expectedCostUsd).toBeLessThanOrEqual(before.body.maxCostUsd);
    expect(h.sim.requests).toHaveLength(0);

    const job = await h.api('/v1/jobs', { body: { fields, rows: list.map((domain, i) => ({ key: String(i + 2), input: { domain } })) } });
    await h.waitForJob(job.body.id);
    const calls = h.sim.requests.length;

    const after = await h.api('/v1/estimate', { body: { fields, inputs } });
    expect(after.body).toMatchObject({ rows: 41, invalid: 1, cached: 40, expectedCostUsd: 0, maxCostUsd: 0 });
    expect(h.sim.requests).toHaveLength(calls);
  });

  it('refuses fields no provider supplies and oversized samples, saying where', async () => {
    const bad = await h.api('/v1/estimate', { body: { fields: ['person.phone'], inputs: [{ domain: 'a.com' }] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_body', path: 'fields[0]' });
    const big = await h.api('/v1/estimate', { body: { fields, inputs: Array.from({ length: 5001 }, () => ({ domain: 'a.com' })) } });
    expect(big.status).toBe(400);
    expect(big.body.error.path).toBe('inputs');
  });
});
