import { describe, expect, it } from 'vitest';
import { testProvider } from '../../test/helpers/provider.js';
import type { Provider } from '../providers/types.js';
import { noFigures, type ProviderFigures } from '../storage/calls.js';
import { metricsView } from './metricsView.js';

const provider = (id: string, extra: Partial<Provider> = {}) => testProvider(id, { label: `${id} label`, ...extra });

const figures = (providerId: string, f: Partial<ProviderFigures>): ProviderFigures => ({ ...noFigures(providerId), ...f });

const window = { window: '7d', since: Date.UTC(2026, 10, 1) };

describe('metricsView', () => {
  it('lists a configured provider never called with zeros and no rates, and one the configuration dropped by its id', () => {
    const view = metricsView(
      [provider('a', { demo: true })],
      [figures('gone', { calls: 2, matches: 1, noMatches: 1, costUsd: 0.02 })],
      { p50Ms: null, p95Ms: null },
      window,
    );
    expect(view.providers).toEqual([
      expect.objectContaining({ provider: 'a', label: 'a label (demo)', demo: true, calls: 0, matchRate: null, costPerMatch: null, p95Ms: null }),
      expect.objectContaining({ provider: 'gone', label: 'gone', demo: false, calls: 2, matchRate: 0.5, costPerMatch: 0.02 }),
    ]);
    expect(view.since).toBe('2026-11-01T00:00:00.000Z');
    expect(view).not.toHaveProperty('jobId');
  });

  it('prices the cache hits at what they would have cost: per call, and per match at the match rate in the window', () => {
    const view = metricsView(
      [provider('a', { costPerCall: 0.01, costPerMatch: 0.05 }), provider('b', { costPerCall: 0.02 })],
      [figures('a', { matches: 3, noMatches: 1, cacheHits: 10 }), figures('b', { cacheHits: 5 }), figures('gone', { matches: 1, cacheHits: 7 })],
      { p50Ms: null, p95Ms: null },
      window,
    );
    // a: 10 × (0.01 + 0.05 × 0.75); b: no answers in the window, so per call only; gone: prices unknown.
    expect(view.providers.map((p) => p.savedUsd)).toEqual([0.475, 0.1, 0]);
    expect(view.totals.savedUsd).toBe(0.575);
  });

  it('keeps predictions out of the matches, match rate and cost per match, but counts what they cost', () => {
    const view = metricsView(
      [provider('data'), provider('llm', { predictive: true })],
      [
        figures('data', { calls: 4, paidCalls: 4, matches: 1, noMatches: 3, costUsd: 0.25 }),
        figures('llm', { calls: 3, paidCalls: 3, matches: 3, costUsd: 0.5 }),
      ],
      { p50Ms: 40, p95Ms: 90 },
      { ...window, jobId: 'job_1' },
    );
    expect(view.providers[1]).toMatchObject({ provider: 'llm', predicted: true, matchRate: 1 });
    expect(view.totals).toMatchObject({
      calls: 7,
      paidCalls: 7,
      matches: 1,
      noMatches: 3,
      matchRate: 0.25,
      costUsd: 0.75,
      costPerMatch: 0.25,
      predictedMatches: 3,
      predictedCostUsd: 0.5,
      p50Ms: 40,
      p95Ms: 90,
    });
    expect(view.jobId).toBe('job_1');
  });

  it("gives a job of leads' funnel with its cost per qualified lead, none while no lead is qualified, and no funnel otherwise", () => {
    const counts = { rows: 10, enriched: 9, aboveFloor: 6, qualified: 3, delivered: 3, costUsd: 0.1000000004 };
    const view = metricsView([], [], { p50Ms: null, p95Ms: null }, { ...window, jobId: 'job_1', funnel: { counts, minScore: 50 } });
    expect(view.funnel).toEqual({ ...counts, minScore: 50, costUsd: 0.1, costPerQualifiedUsd: 0.033333 });
    const none = metricsView(
      [],
      [],
      { p50Ms: null, p95Ms: null },
      { ...window, jobId: 'job_1', funnel: { counts: { ...counts, qualified: 0 }, minScore: null } },
    );
    expect(none.funnel).toMatchObject({ qualified: 0, minScore: null, costPerQualifiedUsd: null });
    expect(metricsView([], [], { p50Ms: null, p95Ms: null }, window)).not.toHaveProperty('funnel');
  });
});
