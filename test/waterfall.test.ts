import { afterEach, describe, expect, it } from 'vitest';
import { allResults, domainRows, domains, startHarness, type Harness } from './helpers/harness.js';

let h: Harness;
afterEach(async () => h?.stop());

describe('waterfall', () => {
  it('stops at the first provider that supplies every asked field', async () => {
    h = await startHarness(
      [
        { id: 'first', fields: ['company.name', 'company.industry'], costPerCall: 0.01 },
        { id: 'second', fields: ['company.name', 'company.industry'], costPerCall: 0.05 },
      ],
      { order: ['first', 'second'] },
    );
    const { status, body } = await h.api('/v1/jobs', { body: { fields: ['company.name', 'company.industry'], rows: domainRows(domains(20)) } });
    expect(status).toBe(202);
    const job = await h.waitForJob(body.id);
    expect(job.counts.matched).toBe(20);
    expect(h.calls('first')).toHaveLength(20);
    expect(h.calls('second')).toHaveLength(0);
    const rows = await allResults(h, body.id);
    expect(rows[0].sources).toEqual({ 'company.name': 'first', 'company.industry': 'first' });
    expect(rows[0].provenance['company.name']).toMatchObject({ provider: 'first', cached: false });
    expect(job.costUsd).toBeCloseTo(0.2, 6);
  });

  it('falls through field by field: a later provider fills only what is still missing', async () => {
    h = await startHarness(
      [
        { id: 'names', fields: ['company.name'] },
        { id: 'sizes', fields: ['company.name', 'company.employees'] },
      ],
      { order: ['names', 'sizes'] },
    );
    const { body } = await h.api('/v1/jobs', { body: { fields: ['company.name', 'company.employees'], rows: domainRows(['acme.com']) } });
    await h.waitForJob(body.id);
    const [row] = await allResults(h, body.id);
    expect(row.status).toBe('matched');
    expect(row.sources).toEqual({ 'company.name': 'names', 'company.employees': 'sizes' });
    expect(row.values['company.name']).toBe('Acme');
  });

  it('tries the next provider after a no-match and reports partial and no-match rows', async () => {
    h = await startHarness(
      [
        { id: 'a', fields: ['company.name'], behaviour: { matchRate: { '*': 0 } } },
        { id: 'b', fields: ['company.name', 'company.revenue'], behaviour: { matchRate: { '*': 1, de: 0 } } },
      ],
      { order: ['a', 'b'] },
    );
    const rows = [...domainRows(['acme.com']), { key: 'x', input: { domain: 'kraft.de' } }];
    const { body } = await h.api('/v1/jobs', { body: { fields: ['company.name', 'company.revenue'], rows } });
    await h.waitForJob(body.id);
    const byKey = Object.fromEntries((await allResults(h, body.id)).map((r) => [r.key, r]));
    expect(byKey['2'].status).toBe('matched');
    expect(byKey['2'].sources['company.name']).toBe('b');
    expect(byKey.x.status).toBe('no_match');
    expect(h.calls('a').sort()).toEqual(['acme.com', 'kraft.de']);
  });

  it('answers a rerun of unchanged rows from the cache: zero provider calls, zero cost', async () => {
    h = await startHarness([{ id: 'p', fields: ['company.name'], costPerMatch: 0.1 }]);
    const rows = domainRows(domains(50));
    const first = (await h.api('/v1/jobs', { body: { fields: ['company.name'], rows } })).body.id;
    await h.waitForJob(first);
    const before = h.sim.requests.length;
    const second = (await h.api('/v1/jobs', { body: { fields: ['company.name'], rows } })).body.id;
    // Finished as submitted: nothing is left for the runner to claim.
    const submitted = (await h.api(`/v1/jobs/${second}`)).body;
    expect(submitted.counts).toMatchObject({ pending: 0, running: 0, matched: 50 });
    const job = await h.waitForJob(second);
    expect(h.sim.requests.length).toBe(before);
    expect(job.costUsd).toBe(0);
    expect(job.counts.matched).toBe(50);
    const [row] = await allResults(h, second);
    expect(row.provenance['company.name'].cached).toBe(true);
    const m = (await h.api(`/v1/metrics?jobId=${second}`)).body;
    expect(m.providers[0]).toMatchObject({ provider: 'p', calls: 0, cacheHits: 50 });
  });

  it('takes a row as far as the cache goes at submission, then buys only what is missing', async () => {
    h = await startHarness([
      { id: 'names', fields: ['company.name'], costPerMatch: 0.1 },
      { id: 'sizes', fields: ['company.employees'], costPerMatch: 0.1 },
    ]);
    const rows = domainRows(domains(20));
    await h.waitForJob((await h.api('/v1/jobs', { body: { fields: ['company.name'], rows } })).body.id);
    const before = h.sim.requests.length;
    const id = (await h.api('/v1/jobs', { body: { fields: ['company.name', 'company.employees'], rows } })).body.id;
    const job = await h.waitForJob(id);
    expect(job.counts.matched).toBe(20);
    expect(new Set(h.sim.requests.slice(before).map((r) => r.provider))).toEqual(new Set(['sizes']));
    const [row] = await allResults(h, id);
    expect(row.provenance['company.name']).toMatchObject({ provider: 'names', cached: true });
    expect(row.provenance['company.employees']).toMatchObject({ provider: 'sizes', cached: false });
  });

  it('uses an answer already bought from a later provider before buying from an earlier one', async () => {
    h = await startHarness(
      [
        { id: 'names', fields: ['company.name'], costPerCall: 0.01 },
        { id: 'full', fields: ['company.name', 'company.employees'], costPerCall: 0.05 },
      ],
      { order: ['names', 'full'] },
    );
    const rows = domainRows(domains(20));
    await h.waitForJob((await h.api('/v1/jobs', { body: { fields: ['company.employees'], rows } })).body.id);
    expect(h.calls('full')).toHaveLength(20);
    // "names" ranks first for company.name, but "full" already answered with it: nothing is bought.
    const second = (await h.api('/v1/jobs', { body: { fields: ['company.name'], rows } })).body.id;
    const job = await h.waitForJob(second);
    expect(job).toMatchObject({ costUsd: 0, counts: { matched: 20 } });
    expect(h.calls('names')).toHaveLength(0);
    const [row] = await allResults(h, second);
    expect(row.provenance['company.name']).toMatchObject({ provider: 'full', cached: true });
  });

  it('calls each provider once for duplicate inputs within a job', async () => {
    h = await startHarness([{ id: 'p', fields: ['company.name'], costPerCall: 0.01 }]);
    const rows = Array.from({ length: 60 }, (_, i) => ({ key: String(i), input: { domain: i % 2 ? 'https://www.Acme.com/about' : `acme.com` } }));
    const { body } = await h.api('/v1/jobs', { body: { fields: ['company.name'], rows } });
    const job = await h.waitForJob(body.id);
    expect(job.counts.matched).toBe(60);
    expect(h.calls('p')).toEqual(['acme.com']);
    expect(job.costUsd).toBeCloseTo(0.01, 6);
  });

  it('learns to try the provider with the lower cost per match first', async () => {
    // "cheap" costs less per call but rarely matches: 0.01 / 0.1 = $0.10 per match, against 0.03 / 0.9 = $0.033.
    h = await startHarness([
      { id: 'cheap', fields: ['company.name'], costPerCall: 0.01, behaviour: { matchRate: { '*': 0.1 } } },
      { id: 'good', fields: ['company.name'], costPerCall: 0.03, behaviour: { matchRate: { '*': 0.9 } } },
    ]);
    const warm = (await h.api('/v1/jobs', { body: { fields: ['company.name'], rows: domainRows(domains(300, 'com', 'warm')) } })).body.id;
    await h.waitForJob(warm);
    const cheapBefore = h.calls('cheap').length;
    const goodBefore = h.calls('good').length;
    const { body } = await h.api('/v1/jobs', { body: { fields: ['company.name'], rows: domainRows(domains(200, 'com', 'later')) } });
    await h.waitForJob(body.id);
    const goodCalls = h.calls('good').length - goodBefore;
    const cheapCalls = h.calls('cheap').length - cheapBefore;
    // With "good" first, "cheap" is only asked about the ~10% "good" misses.
    expect(goodCalls).toBe(200);
    expect(cheapCalls).toBeLessThan(60);
  });

  it('keeps a different order per TLD segment where the data says so', async () => {
    h = await startHarness([
      { id: 'eu', fields: ['company.name'], costPerCall: 0.02, behaviour: { matchRate: { de: 0.95, '*': 0.1 } } },
      { id: 'us', fields: ['company.name'], costPerCall: 0.02, behaviour: { matchRate: { de: 0.1, '*': 0.95 } } },
    ]);
    const warmRows = [...domains(200, 'de', 'w'), ...domains(200, 'com', 'w')];
    await h.waitForJob((await h.api('/v1/jobs', { body: { fields: ['company.name'], rows: domainRows(warmRows) } })).body.id);
    const mark = h.sim.requests.length;
    const rows = [...domains(100, 'de', 'n'), ...domains(100, 'com', 'n')];
    await h.waitForJob((await h.api('/v1/jobs', { body: { fields: ['company.name'], rows: domainRows(rows) } })).body.id);
    const later = h.sim.requests.slice(mark);
    const firstAsked = (tld: string) => {
      const seen = new Map<string, string>();
      for (const r of later) if (r.q.endsWith(`.${tld}`) && !seen.has(r.q)) seen.set(r.q, r.provider);
      return [...seen.values()];
    };
    expect(firstAsked('de').filter((p) => p === 'eu').length).toBeGreaterThan(90);
    expect(firstAsked('com').filter((p) => p === 'us').length).toBeGreaterThan(90);
  });
});
