import { describe, expect, it } from 'vitest';
import { testProvider } from '../../test/helpers/provider.js';
import type { Provider } from '../providers/types.js';
import { Ranking, realtimeOrder } from './order.js';
import { PROBE_INTERVAL_MS, SPELL_MAX_MS } from './providerHealth.js';
import { Stats } from './stats.js';

const ids = (order: readonly Provider[]) => order.map((p) => p.id);
const cheap = testProvider('cheap', { demo: true, costPerCall: 0.01 });
const dear = testProvider('dear', { demo: true, costPerCall: 0.02 });

/** Stats where `cheap` has answered 40 times in 80–120 ms (p95 ≈ 118 ms, p50 ≈ 100 ms) and `dear` in 200 ms. */
function warmed(): Stats {
  const stats = new Stats();
  for (let i = 0; i < 40; i++) {
    stats.record('ws', 'com', 'cheap', true, 80 + i);
    stats.record('ws', 'com', 'dear', true, 200);
  }
  return stats;
}

describe('ProviderHealth', () => {
  it('does not judge a provider degraded by one slow call: that one is hedged, rationed', () => {
    const stats = warmed();
    const h = stats.health;
    h.begin('cheap', 0);
    h.begin('cheap', 1000);
    expect(h.degraded('cheap', 1050)).toBe(false); // one call of two out past p95
    expect(realtimeOrder([cheap, dear], h, 1500, 1050).map((p) => p.id)).toEqual(['cheap', 'dear']);
  });

  it('judges it degraded when most calls in flight are past its p95, and real time then asks it last', () => {
    const stats = warmed();
    const h = stats.health;
    for (let t = 0; t < 3; t++) h.begin('cheap', t);
    expect(h.degraded('cheap', 100)).toBe(false); // not past p95 yet
    expect(h.degraded('cheap', 400)).toBe(true);
    // The bulk order is untouched; real time asks the healthy provider first.
    expect(ids(new Ranking([cheap, dear], stats).order('ws', 'com'))).toEqual(['cheap', 'dear']);
    expect(ids(realtimeOrder([cheap, dear], h, 1500, 400))).toEqual(['dear', 'cheap']);
    // Its expected time is how long its slow calls have been out, a lower bound: once that exceeds what is
    // left of the deadline, it is not asked at all.
    expect(h.expectedMs('cheap', 400)).toBe(399);
    expect(ids(realtimeOrder([cheap, dear], h, 300, 400))).toEqual(['dear']);
    expect(ids(realtimeOrder([cheap], h, 300, 400))).toEqual([]);
  });

  it('stays degraded on slow answers with nothing in flight, and recovers after two fast answers', () => {
    const stats = warmed();
    const h = stats.health;
    const calls = [0, 1, 2, 3].map((t) => h.begin('cheap', t));
    for (const c of calls) h.end(c, 4000);
    expect(h.inflight('cheap')).toBe(0);
    expect(h.degraded('cheap', 5000)).toBe(true);
    expect(h.expectedMs('cheap', 5000)).toBe(4000 - 1); // median of 4000, 3999, 3998, 3997 (upper)
    const fast1 = h.begin('cheap', 5000);
    h.end(fast1, 5100);
    expect(h.degraded('cheap', 5100)).toBe(true); // 3 slow of the last 4
    const fast2 = h.begin('cheap', 6000);
    h.end(fast2, 6100);
    expect(h.degraded('cheap', 6100)).toBe(false);
    expect(h.expectedMs('cheap', 6100)).toBe(stats.p50('cheap'));
    expect(ids(realtimeOrder([cheap, dear], h, 1500, 6100))).toEqual(['cheap', 'dear']);
  });

  it('lets a degraded provider be probed once at a time, at most once per interval', () => {
    const stats = warmed();
    const h = stats.health;
    expect(h.claimProbe('cheap', 0)).toBe(false); // healthy: no probe needed
    for (const c of [0, 1, 2].map((t) => h.begin('cheap', t))) h.end(c, 3000);
    expect(h.claimProbe('cheap', 3000)).toBe(true);
    expect(h.claimProbe('cheap', 3000)).toBe(false); // one per interval
    const probe = h.begin('cheap', 3000);
    expect(h.claimProbe('cheap', 3000 + PROBE_INTERVAL_MS)).toBe(false); // the probe is still out
    h.end(probe, 3000 + PROBE_INTERVAL_MS + 3000);
    expect(h.claimProbe('cheap', 3000 + PROBE_INTERVAL_MS + 3000)).toBe(true);
  });

  it('keeps a spell out of the p95, so the spell does not hide itself, until it lasts long enough to be the new normal', () => {
    const stats = warmed();
    const h = stats.health;
    // As Caller does: the call ends (judged against the p95 of before it), then its latency goes to the stats.
    const answer = (at: number, ms: number) => {
      const c = h.begin('cheap', at);
      h.end(c, at + ms);
      stats.record('ws', 'com', 'cheap', true, ms);
    };
    // A single slow answer of a healthy provider is its tail: it counts.
    answer(0, 3000);
    expect(h.keepsOut('cheap')).toBe(false);
    const p95 = stats.p95('cheap');
    // The spell's answers (the single slow one above counts towards it) stay out of the window: 40 of them
    // would be half of it.
    for (let i = 0; i < 40; i++) answer(10_000 + i * 10, 3000);
    expect(h.keepsOut('cheap')).toBe(true);
    expect(stats.p95('cheap')).toBe(p95);
    expect(h.degraded('cheap', 20_000)).toBe(true);
    // Ten minutes of it is the provider's pace now: counted again, until the p95 takes it in and it is not "slower" any more.
    for (let i = 0; i < 40; i++) answer(10_000 + SPELL_MAX_MS + i * 10, 3000);
    expect(stats.p95('cheap')).toBe(3000);
    expect(h.degraded('cheap', 20_000 + SPELL_MAX_MS)).toBe(false);
  });
});
