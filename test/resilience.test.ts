import { afterEach, describe, expect, it } from 'vitest';
import { allResults, domainRows, domains, startHarness, type Harness } from './helpers/harness.js';

let h: Harness;
afterEach(async () => h?.stop());

const job = async (fields: string[], rows: unknown[], extra: Record<string, unknown> = {}) => {
  const res = await h.api('/v1/jobs', { body: { fields, rows, ...extra } });
  expect(res.status).toBe(202);
  return res.body.id as string;
};

describe('provider trouble', () => {
  it('rides out a 429 storm by honouring Retry-After: no row fails and no answer is bought twice', async () => {
    // A second: a quarter of it is the allowance for requests already sent when the 429 came back, which a loaded
    // machine may log at the simulated provider (in this process) a hundred milliseconds or more later.
    const retryAfterMs = 1000;
    h = await startHarness([
      { id: 'p', fields: ['company.name'], costPerCall: 0.01, behaviour: { storm: { remaining: 20, retryAfterS: retryAfterMs / 1000 } } },
    ]);
    const id = await job(['company.name'], domainRows(domains(100)));
    const done = await h.waitForJob(id);
    expect(done.counts.matched).toBe(100);
    expect(done.counts.failed).toBe(0);
    const answered = h.sim.requests.filter((r) => r.status === 200).map((r) => r.q);
    expect(new Set(answered).size).toBe(answered.length);
    const limited = h.sim.requests.filter((r) => r.status === 429);
    expect(limited).toHaveLength(20);
    // The spacing the provider saw: after each 429 it hears nothing more until that 429's Retry-After has
    // passed, but for the burst of requests that left before the pause took hold (they arrive within a few
    // milliseconds; a quarter of the Retry-After allows for a loaded machine). 90% of it: timers may fire
    // a millisecond early, and anything sent after the pause arrives a full Retry-After after the 429.
    for (const r of limited) {
      const early = h.sim.requests.filter((x) => x.at >= r.at + retryAfterMs / 4 && x.at < r.at + 0.9 * retryAfterMs);
      expect(
        early.map((x) => x.at - r.at),
        `requests within Retry-After of the 429 at ${r.at}`,
      ).toEqual([]);
    }
    const m = (await h.api('/v1/metrics')).body;
    expect(m.providers[0]).toMatchObject({ rateLimited: 20, matches: 100, paidCalls: 100 });
  });

  it('keeps within documented limits: never more requests in flight than the documented concurrency', async () => {
    h = await startHarness([{ id: 'p', fields: ['company.name'], behaviour: { concurrency: 4, latency: { medianMs: 10, sigma: 0.3 } } }]);
    const done = await h.waitForJob(await job(['company.name'], domainRows(domains(200))));
    expect(done.counts.matched).toBe(200);
    expect(h.sim.peakInflight.get('p')).toBeLessThanOrEqual(4);
    expect(h.sim.requests.filter((r) => r.status === 429)).toHaveLength(0);
  });

  it('finds an undocumented limit without a flood of 429s', async () => {
    // The provider allows 6 requests in flight and documents nothing; it sends no Retry-After either.
    h = await startHarness([
      {
        id: 'p',
        fields: ['company.name'],
        concurrency: null,
        ratePerSecond: null,
        behaviour: { concurrency: 6, retryAfter: false, latency: { medianMs: 10, sigma: 0.2 } },
      },
    ]);
    const done = await h.waitForJob(await job(['company.name'], domainRows(domains(600))));
    expect(done.counts.matched).toBe(600);
    const limited = h.sim.requests.filter((r) => r.status === 429).length;
    expect(limited / 600).toBeLessThan(0.1);
    expect(h.sim.peakInflight.get('p')).toBe(6);
  });

  it('retries 5xx with backoff, then flags the row failed and retryable; Retry flagged, after a restart, asks only the provider that failed', async () => {
    // Each row needs both providers: "names" answers every row, "sizes" fails two of them.
    const failing = new Set(['lead1.com', 'lead2.com']);
    h = await startHarness([
      { id: 'names', fields: ['company.name'], costPerCall: 0.01 },
      { id: 'sizes', fields: ['company.employees'], costPerCall: 0.02, behaviour: { failFor: failing } },
    ]);
    const id = await job(['company.name', 'company.employees'], domainRows(domains(10)));
    let done = await h.waitForJob(id);
    expect(done.counts).toMatchObject({ matched: 8, failed: 2 });
    // 1 try + 4 retries (the default schedule's length) per failing row.
    expect(h.calls('sizes').filter((q) => q === 'lead1.com')).toHaveLength(5);
    expect(h.calls('names').sort()).toEqual(domains(10).sort());
    const flagged = (await allResults(h, id)).filter((r) => r.status === 'failed');
    expect(flagged[0].error).toEqual({ code: 'provider_unavailable', message: 'sizes answered HTTP 500' });
    // What was found is kept on the flagged row.
    expect(flagged[0].sources).toEqual({ 'company.name': 'names' });

    failing.clear();
    // A restart in between: only what was stored (the rows' checkpoints, the cache) can keep "names" from being paid again.
    await h.restart();
    const before = h.sim.requests.length;
    const retry = await h.api(`/v1/jobs/${id}/retry`, { body: {} });
    expect(retry.body).toEqual({ requeued: 2 });
    done = await h.waitForJob(id);
    expect(done.counts).toMatchObject({ matched: 10, failed: 0 });
    // Only the provider that failed was asked again, about the two flagged rows: "names" had answered them, and nothing it answered was bought twice.
    expect(
      h.sim.requests
        .slice(before)
        .map((r) => `${r.provider}:${r.q}`)
        .sort(),
    ).toEqual(['sizes:lead1.com', 'sizes:lead2.com']);
    expect(done.costUsd).toBeCloseTo(10 * 0.01 + 10 * 0.02, 6);
    // lead1.com and lead2.com are rows 3 and 4.
    const retried = (await allResults(h, id)).filter((r) => r.key === '3' || r.key === '4');
    expect(retried.map((r) => r.sources)).toEqual(Array(2).fill({ 'company.name': 'names', 'company.employees': 'sizes' }));
  });

  it('falls through to the next provider when one is down, and marks the row matched', async () => {
    h = await startHarness(
      [
        { id: 'down', fields: ['company.name'], behaviour: { down: true } },
        { id: 'up', fields: ['company.name'] },
      ],
      { order: ['down', 'up'] },
    );
    const list = domains(5);
    const id = await job(['company.name'], domainRows(list));
    const done = await h.waitForJob(id);
    expect(done.counts.matched).toBe(5);
    // "down" was asked first about every row (and answered 503 each time); every value came from "up", asked once per row after it.
    for (const d of list) {
      const asked = h.sim.requests.filter((r) => r.q === d);
      expect(asked[0], d).toMatchObject({ provider: 'down', status: 503 });
      expect(
        asked.filter((r) => r.provider === 'up'),
        d,
      ).toHaveLength(1);
      expect(asked.at(-1), d).toMatchObject({ provider: 'up', status: 200 });
    }
    for (const r of await allResults(h, id)) {
      expect(r.sources).toEqual({ 'company.name': 'up' });
      expect(r.provenance['company.name']).toMatchObject({ provider: 'up', cached: false });
      expect(r.values['company.name']).toBe(`Lead${Number(r.key) - 2}`);
    }
  });

  it('treats a rejected key (401) as a permanent error for that provider: no retries', async () => {
    h = await startHarness([{ id: 'p', fields: ['company.name'], behaviour: { forceStatus: 401 } }]);
    const id = await job(['company.name'], domainRows(domains(3)));
    const done = await h.waitForJob(id);
    expect(done.counts.failed).toBe(3);
    expect(h.calls('p')).toHaveLength(3);
    const [row] = await allResults(h, id);
    expect(row.error.code).toBe('provider_rejected');
  });

  it('treats malformed JSON and timeouts as transient', async () => {
    h = await startHarness([
      { id: 'bad', fields: ['company.name'], behaviour: { malformed: true } },
      { id: 'slow', fields: ['company.employees'], timeoutMs: 100, behaviour: { latency: { medianMs: 400, sigma: 0 } } },
    ]);
    const id = await job(['company.name', 'company.employees'], domainRows(['acme.com']));
    await h.waitForJob(id);
    const [row] = await allResults(h, id);
    expect(row.status).toBe('failed');
    const m = (await h.api('/v1/metrics')).body;
    const by = Object.fromEntries(m.providers.map((p: any) => [p.provider, p]));
    expect(by.bad.errors).toBe(5);
    expect(by.slow.errors).toBe(5);
    expect(by.bad.paidCalls + by.slow.paidCalls).toBe(0);
  });
});

describe('money', () => {
  it('stops buying at the cost cap and flags the rest budget_exhausted; a higher cap resumes them', async () => {
    // $0.04 a call and $0.06 a match, and every lead matches: each call may cost $0.10, and reserves that much before it starts.
    // Reserving only the per-call part would start an eleventh call at $1.00 spent, and end at $1.10 or more.
    h = await startHarness([{ id: 'p', fields: ['company.name'], costPerCall: 0.04, costPerMatch: 0.06, behaviour: { concurrency: 3 } }]);
    const id = await job(['company.name'], domainRows(domains(20)), { maxCostUsd: 1.05 });
    let done = await h.waitForJob(id);
    expect(done.costUsd).toBeCloseTo(1, 6);
    expect(done.counts.matched).toBe(10);
    expect(done.counts.budget_exhausted).toBe(10);
    expect(h.calls('p')).toHaveLength(10);
    await h.api(`/v1/jobs/${id}/retry`, { body: { maxCostUsd: 5 } });
    done = await h.waitForJob(id);
    expect(done.counts.matched).toBe(20);
    expect(done.costUsd).toBeCloseTo(2, 6);
    expect(h.calls('p')).toHaveLength(20);
  });

  it('starts no paid call after cancel returns', async () => {
    h = await startHarness([{ id: 'p', fields: ['company.name'], costPerCall: 0.01, behaviour: { concurrency: 2, latency: { medianMs: 30, sigma: 0 } } }]);
    const id = await job(['company.name'], domainRows(domains(200)));
    while (h.calls('p').length < 10) await new Promise((r) => setTimeout(r, 10));
    const res = await h.api(`/v1/jobs/${id}/cancel`, { method: 'POST' });
    const sentBeforeReturn = h.sim.arrivals();
    expect(res.body.status).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.sim.arrivals()).toBe(sentBeforeReturn);
    const view = (await h.api(`/v1/jobs/${id}`)).body;
    expect(view.status).toBe('cancelled');
    expect(view.counts.pending).toBeGreaterThan(150);
    // Retry resumes a cancelled job.
    await h.api(`/v1/jobs/${id}/retry`, { body: {} });
    expect((await h.waitForJob(id)).counts.matched).toBe(200);
  });
});
