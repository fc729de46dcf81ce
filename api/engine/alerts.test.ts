import { describe, expect, it } from 'vitest';
import { computeAlerts, DAY_MS, PERIODS, type PeriodFigures } from './alerts.js';

const NOW = Date.UTC(2026, 10, 30, 12);
const providers = [
  { id: 'pf', label: 'People Finder' },
  { id: 'llm', label: 'Guess', predictive: true },
];
const day = (period: number, matches: number, noMatches: number, p95Ms: number | null, costUsd = 0, providerId = 'pf'): PeriodFigures => ({
  providerId,
  period,
  calls: matches + noMatches,
  matches,
  noMatches,
  costUsd,
  p95Ms,
});
const weeks = (thisWeek: [number, number], lastWeek: [number, number], p95 = (_: number) => 100 as number | null) =>
  Array.from({ length: PERIODS }, (_, k) => (k < 7 ? day(k, thisWeek[0], thisWeek[1], p95(k)) : day(k, lastWeek[0], lastWeek[1], p95(k))));
const none = new Array<number>(PERIODS).fill(0);

describe('computeAlerts', () => {
  it('flags a match rate more than 10 points down on the week before, in plain words', () => {
    // 52% against 66%: 14 points down.
    const { findings } = computeAlerts({ now: NOW, providers, figures: weeks([52, 48], [66, 34]), verified: none });
    expect(findings).toEqual([
      expect.objectContaining({
        provider: 'pf',
        figure: 'matchRate',
        current: 0.52,
        baseline: 0.66,
        message: 'People Finder: match rate 52%, down 14 points on last week (66%)',
      }),
    ]);
  });

  it('does not flag a drop of exactly 10 points, a rise, or weeks with too few answers', () => {
    expect(computeAlerts({ now: NOW, providers, figures: weeks([50, 50], [60, 40]), verified: none }).findings).toEqual([]);
    expect(computeAlerts({ now: NOW, providers, figures: weeks([90, 10], [50, 50]), verified: none }).findings).toEqual([]);
    // 2 answers a day: 14 in the week, under the 20 a rate needs.
    expect(computeAlerts({ now: NOW, providers, figures: weeks([0, 2], [2, 0]), verified: none }).findings).toEqual([]);
  });

  it('flags a last-24-hours p95 above twice the median of the 7 days before, and not at exactly twice', () => {
    const p95 = (today: number) => (k: number) => (k === 0 ? today : k <= 7 ? [90, 100, 110, 100, 95, 500, 100][k - 1]! : 10);
    const hot = computeAlerts({ now: NOW, providers, figures: weeks([50, 50], [50, 50], p95(201)), verified: none }).findings;
    expect(hot).toEqual([
      expect.objectContaining({ figure: 'p95Ms', current: 201, baseline: 100, message: 'People Finder: p95 latency 201 ms, 2.0× its usual 100 ms' }),
    ]);
    expect(computeAlerts({ now: NOW, providers, figures: weeks([50, 50], [50, 50], p95(200)), verified: none }).findings).toEqual([]);
    // Only two days with a p95 before: no baseline, no alert.
    const sparse = (k: number) => (k === 0 ? 5000 : k <= 2 ? 100 : null);
    expect(computeAlerts({ now: NOW, providers, figures: weeks([50, 50], [50, 50], sparse), verified: none }).findings).toEqual([]);
  });

  it('gives cost per match and per verified match for both weeks, leaving predictions out as GET /v1/metrics does', () => {
    const figures = [day(0, 10, 0, 100, 2), day(3, 10, 0, 100, 2), day(8, 5, 5, 100, 1), day(0, 7, 0, 50, 9, 'llm')];
    const verified = none.map((_, k) => (k === 1 ? 8 : k === 9 ? 2 : 0));
    const { trends } = computeAlerts({ now: NOW, providers, figures, verified });
    expect(trends.totals.thisWeek).toEqual({
      since: new Date(NOW - 7 * DAY_MS).toISOString(),
      costUsd: 4,
      matches: 20,
      verifiedMatches: 8,
      costPerMatch: 0.2,
      costPerVerifiedMatch: 0.5,
    });
    expect(trends.totals.lastWeek).toMatchObject({ costUsd: 1, matches: 5, verifiedMatches: 2, costPerMatch: 0.2, costPerVerifiedMatch: 0.5 });
    const pf = trends.providers.find((p) => p.provider === 'pf')!;
    expect(pf.daily).toHaveLength(PERIODS);
    expect(pf.daily.at(-1)).toEqual({ until: new Date(NOW).toISOString(), calls: 10, matchRate: 1, p95Ms: 100, costUsd: 2 });
    expect(pf.matchRate).toEqual({ thisWeek: 1, lastWeek: 0.5 });
  });
});
