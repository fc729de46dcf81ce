import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Field } from '../shared/index.js';
import { PROBE_INTERVAL_MS } from '../api/engine/providerHealth.js';
import { startHarness, type Harness } from './helpers/harness.js';

/*
 * Real-time routing through the real HTTP server and simulated providers:
 * which providers each lookup asked, never how long it took. `a` is the
 * cheapest, so the cost order asks it first; `b` and `c` are dearer. Every
 * provider knows every lead, so a lookup asks exactly one provider unless
 * routing (a write-off, a hedge) asks another.
 */
const FIELDS: Field[] = ['company.name', 'company.industry'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let h: Harness;
let n = 0;

beforeAll(async () => {
  h = await startHarness([
    { id: 'a', fields: FIELDS, costPerCall: 0.001, behaviour: { latency: { medianMs: 50, sigma: 0.1 } } },
    { id: 'b', fields: FIELDS, costPerCall: 0.01, behaviour: { latency: { medianMs: 50, sigma: 0.1 } } },
    { id: 'c', fields: FIELDS, costPerCall: 0.02, behaviour: { latency: { medianMs: 50, sigma: 0.1 } } },
  ]);
});
afterAll(() => h?.stop());

const lookup = async (deadlineMs = 5000) => {
  const domain = `rt${n++}.com`;
  const res = await h.api('/v1/enrich', { body: { input: { domain }, fields: FIELDS, deadlineMs } });
  expect(res.status).toBe(200);
  return {
    domain,
    body: res.body,
    /** The providers the sim has answered for this lookup: a call written off is seen once answered (idle()). */
    get asked() {
      return (['a', 'b', 'c'] as const).filter((p) => h.calls(p).includes(domain));
    },
  };
};

/**
 * Enough answers from `a` for a p95 to judge it by (20 make one), and enough
 * that the few slow answers below that count as its tail (a lone slow call,
 * the first answer of a spell) leave the p95 where it is.
 */
async function warm(): Promise<void> {
  for (let i = 0; i < 80; i++) expect((await lookup()).asked).toContain('a');
}

/** Until every request the sim received is answered (no provider here draws a 429, logged at once). */
async function idle(): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (h.sim.arrivals() === h.sim.requests.length) return;
    await sleep(20);
  }
  throw new Error('the sim is still busy');
}

describe('real-time routing around a degraded provider', () => {
  it('hedges the single slow call of a healthy provider, and keeps asking it first', async () => {
    await warm();
    h.sim.providers.get('a')!.behaviour.slow = { calls: 1, extraMs: 600 };
    const slow = await lookup();
    const next = await lookup();
    await idle();
    // Past a's p95 the lookup asked b (the rationed hedge) and took b's answer.
    expect(slow.asked).toEqual(['a', 'b']);
    expect(slow.body.sources['company.name']).toBe('b');
    // One slow call is a tail, not a spell: a is still asked first, and alone, while that call is still out.
    expect(next.asked).toContain('a');
  });

  it('routes around a provider whose calls are mostly slow, probes it, and notices its recovery', async () => {
    const a = h.sim.providers.get('a')!.behaviour;
    a.slow = { calls: 6, extraMs: 800 };
    // Onset: four lookups at once all ask a (nothing is known yet). Past a's p95 all four calls are slow:
    // a is degraded, each call is written off and b asked at once, outside the hedge budget.
    const onset = await Promise.all([lookup(), lookup(), lookup(), lookup()]);
    // While a's slow calls are out, lookups go to b alone.
    const during: Awaited<ReturnType<typeof lookup>>[] = [];
    for (let i = 0; i < 5; i++) during.push(await lookup());
    await idle();
    for (const l of onset) {
      expect(l.asked.slice(0, 2)).toEqual(['a', 'b']);
      expect(l.body.status).toBe('matched');
      expect(l.body.sources['company.name']).toBe('b');
    }
    for (const l of during) expect(l.asked[0]).toBe('b');
    // Then until a recovers: no lookup waits on it; only probes (one at a time) ask it, each written off at its p95.
    const after: Awaited<ReturnType<typeof lookup>>[] = [];
    for (let i = 0; i < 200; i++) {
      const l = await lookup();
      after.push(l);
      expect(l.body.status).toBe('matched');
      // Judged once the sim has answered everything: a call of a's that ran past its p95 was hedged to b, and b's
      // answer may still be on its way when a's lookup returns (a CI run took such a lookup for "a alone").
      await idle();
      // Two lookups in a row answered by a alone: probes are a second apart, so the second is routine again.
      const prev = after[after.length - 2];
      if (prev && [prev, l].every((x) => x.asked.length === 1 && x.asked[0] === 'a')) break;
      await sleep(50);
    }
    await idle();
    const probes = after.filter((l) => l.asked.includes('a'));
    const last = after[after.length - 1]!;
    // Recovered: a answers first and alone again.
    expect(last.asked).toEqual(['a']);
    // The spell's last two calls went to probes, and no lookup waited on them: each was written off at a's p95
    // and answered by b. (Fast probes, and a's normal calls, may be hedged too when they run past the p95.)
    const slowToA = (l: (typeof after)[number]) => h.sim.requests.some((r) => r.provider === 'a' && r.q === l.domain && (r.latencyMs ?? 0) > 500);
    const writtenOff = probes.filter(slowToA);
    expect(writtenOff).toHaveLength(2);
    for (const l of writtenOff) expect([l.asked.slice(0, 2), l.body.sources['company.name']]).toEqual([['a', 'b'], 'b']);
    expect(a.slow!.calls).toBe(0);
    // Every other lookup of the spell went to b first (b's own slow tail may be hedged to c, rationed).
    expect(after.filter((l) => !l.asked.includes('a')).every((l) => l.asked[0] === 'b')).toBe(true);
    expect(probes.length).toBeLessThan(after.length / 2);
    // No answer was bought twice.
    const bought = h.sim.requests.filter((r) => r.status === 200 || r.status === 404).map((r) => `${r.provider}:${r.q}`);
    expect(new Set(bought).size).toBe(bought.length);
  });

  it('does not ask a degraded provider slower than the time left, and says so', async () => {
    await idle();
    const a = h.sim.providers.get('a')!.behaviour;
    a.slow = { calls: 3, extraMs: 800 };
    // Degrade a: three lookups at once, each written off to b.
    const onset = await Promise.all([lookup(), lookup(), lookup()]);
    await idle();
    for (const l of onset) expect(l.asked.slice(0, 2)).toEqual(['a', 'b']);
    // a's last answers took ~800 ms. Only a knows these rows now: b and c answer no match.
    h.sim.providers.get('b')!.behaviour.matchRate = { '*': 0 };
    h.sim.providers.get('c')!.behaviour.matchRate = { '*': 0 };
    try {
      // A probe is due (nothing of a in flight, over a second since the last): it asks a first, which is quick again.
      await sleep(PROBE_INTERVAL_MS);
      const probe = await lookup();
      expect(probe.asked).toContain('a');
      // One fast answer of the last four: still degraded, expected at ~800 ms, over the 300 ms this lookup
      // has, and no probe is due: a is not asked, and the answer says why.
      const short = await lookup(300);
      expect(short.asked).toEqual(['b', 'c']);
      expect(short.body.missing).toEqual(FIELDS);
      expect(short.body.error.code).toBe('deadline_exceeded');
      expect(short.body.error.message).toContain('a answer');
    } finally {
      h.sim.providers.get('b')!.behaviour.matchRate = { '*': 1 };
      h.sim.providers.get('c')!.behaviour.matchRate = { '*': 1 };
    }
  });
});
