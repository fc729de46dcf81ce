import { afterEach, describe, expect, it } from 'vitest';
import { keysStore } from '../api/storage/keys.js';
import { domainRows, domains, startHarness, type Harness } from './helpers/harness.js';

let h: Harness;
afterEach(async () => h?.stop());

const submit = async (rows: unknown[], key?: string) => (await h.api('/v1/jobs', { key, body: { fields: ['company.name'], rows } })).body.id as string;
const pending = async (id: string, key?: string) => {
  const c = (await h.api(`/v1/jobs/${id}`, { key })).body.counts;
  return c.pending + c.running;
};

describe('fair share', () => {
  it('puts a real-time lookup ahead of a long bulk job', async () => {
    h = await startHarness([{ id: 'p', fields: ['company.name'], behaviour: { concurrency: 1, latency: { medianMs: 10, sigma: 0 } } }]);
    const bulk = await submit(domainRows(domains(300)));
    while (h.calls('p').length < 5) await new Promise((r) => setTimeout(r, 5));
    const res = await h.api('/v1/enrich', { body: { input: { domain: 'urgent.com' }, fields: ['company.name'], deadlineMs: 10_000 } });
    expect(res.body.status).toBe('matched');
    // It waited for at most the call in flight, not for the hundreds queued before it.
    expect(await pending(bulk)).toBeGreaterThan(200);
  });

  it('does not let a big job starve a small one submitted after it', async () => {
    h = await startHarness([{ id: 'p', fields: ['company.name'], behaviour: { concurrency: 2, latency: { medianMs: 5, sigma: 0 } } }]);
    const big = await submit(domainRows(domains(600, 'com', 'big')));
    while (h.calls('p').length < 5) await new Promise((r) => setTimeout(r, 5));
    const small = await submit(domainRows(domains(30, 'com', 'small')));
    await h.waitForJob(small);
    expect(await pending(big)).toBeGreaterThan(300);
  });

  it("does not let one workspace's job starve another workspace's", async () => {
    h = await startHarness([{ id: 'p', fields: ['company.name'], behaviour: { concurrency: 2, latency: { medianMs: 5, sigma: 0 } } }]);
    const other = await keysStore(h.cascade.database.db).create('ws-b', Date.now());
    const jobsA = [await submit(domainRows(domains(400, 'com', 'a1'))), await submit(domainRows(domains(400, 'com', 'a2')))];
    while (h.calls('p').length < 5) await new Promise((r) => setTimeout(r, 5));
    const b = await submit(domainRows(domains(40, 'com', 'b')), other);
    await h.waitForJob(b, other);
    expect((await pending(jobsA[0]!)) + (await pending(jobsA[1]!))).toBeGreaterThan(500);
  });
});

describe('deadlines and hedges', () => {
  it('answers by the deadline with what it has, and caches the late answer for the next lookup', async () => {
    h = await startHarness([{ id: 'slow', fields: ['company.name'], costPerCall: 0.01, behaviour: { latency: { medianMs: 600, sigma: 0 } } }]);
    const res = await h.api('/v1/enrich', { body: { input: { domain: 'late.com' }, fields: ['company.name'], deadlineMs: 100 } });
    expect(res.body).toMatchObject({ status: 'no_match', missing: ['company.name'], error: { code: 'deadline_exceeded' } });
    while (!h.sim.requests.some((r) => r.q === 'late.com')) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50));
    const again = await h.api('/v1/enrich', { body: { input: { domain: 'late.com' }, fields: ['company.name'], deadlineMs: 100 } });
    expect(again.body).toMatchObject({ status: 'matched', costUsd: 0 });
    expect(again.body.provenance['company.name'].cached).toBe(true);
    expect(h.calls('slow')).toEqual(['late.com']);
  });

  it('hedges a provider running past its own p95 with the next one; the first answer wins', async () => {
    h = await startHarness(
      [
        { id: 'usual', fields: ['company.name'], behaviour: { latency: { medianMs: 10, sigma: 0.1 } } },
        { id: 'backup', fields: ['company.name'], behaviour: { latency: { medianMs: 10, sigma: 0.1 } } },
      ],
      { order: ['usual', 'backup'] },
    );
    // A bulk job teaches the engine what "usual" latency is.
    await h.waitForJob(await submit(domainRows(domains(60, 'com', 'warm'))));
    h.sim.providers.get('usual')!.behaviour.latency = { medianMs: 1500, sigma: 0 };
    const res = await h.api('/v1/enrich', { body: { input: { domain: 'hedged.com' }, fields: ['company.name'], deadlineMs: 5000 } });
    expect(res.body.status).toBe('matched');
    expect(res.body.sources['company.name']).toBe('backup');
    expect(h.calls('backup')).toEqual(['hedged.com']);
    // The slow first answer still arrives (it is paid for) and is cached.
    for (let i = 0; i < 100 && !h.calls('usual').includes('hedged.com'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(h.calls('usual')).toContain('hedged.com');
  });
});
