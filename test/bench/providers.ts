import type { BenchProvider } from './benchConfig.js';

/*
 * Provider sets. Limits are chosen so 10,000 rows take well under a minute,
 * with the bottleneck sometimes a rate limit and sometimes a concurrency
 * limit, and prices chosen so the order the engine starts from (every
 * provider assumed to match half the time) is wrong: the engine has to learn
 * the right one from answers.
 */

/**
 * Scenario A: match rates the same for every TLD.
 * Expected cost per match: firmo-b 0.008+0.002/0.6 ≈ $0.0133, firmo-c $0.015,
 * firmo-a 0.006/0.3 = $0.02 — yet at the 50% prior firmo-a looks cheapest ($0.012).
 */
export function scenarioAProviders(): BenchProvider[] {
  return [
    {
      // Per call, patchy: capacity 200/s (rate-bound).
      id: 'firmo-a',
      behaviour: { matchRate: { '*': 0.3 }, latency: { medianMs: 50, sigma: 0.4 }, concurrency: 16, ratePerSecond: 200 },
      costPerCall: 0.006,
      costPerMatch: 0,
    },
    {
      // Call fee plus match fee: capacity 400/s (rate-bound); the bottleneck once it leads.
      id: 'firmo-b',
      behaviour: { matchRate: { '*': 0.6 }, latency: { medianMs: 40, sigma: 0.5 }, concurrency: 32, ratePerSecond: 400 },
      costPerCall: 0.002,
      costPerMatch: 0.01,
    },
    {
      // Per match, good coverage: capacity ≈196/s (concurrency-bound).
      id: 'firmo-c',
      behaviour: { matchRate: { '*': 0.7 }, latency: { medianMs: 45, sigma: 0.5 }, concurrency: 10, ratePerSecond: 300 },
      costPerCall: 0,
      costPerMatch: 0.015,
    },
  ];
}

export const SCENARIO_A_TLDS = { com: 40, net: 10, io: 10, de: 15, fr: 10, 'co.uk': 10, nl: 5 };

/**
 * Scenario B: coverage differs by TLD, so the cheapest order differs too:
 * for .com/.io/.net global → hybrid → eu, for .de/.fr hybrid → eu → global.
 * The three-letter TLDs share one set of rates because the engine keeps its
 * statistics per two-letter country TLD and lumps the rest into "generic".
 */
export function scenarioBProviders(): BenchProvider[] {
  return [
    {
      // Strong in Europe, per match: capacity ≈147/s (concurrency-bound).
      id: 'eu',
      behaviour: { matchRate: { de: 0.85, fr: 0.8, uk: 0.7, '*': 0.25 }, latency: { medianMs: 60, sigma: 0.5 }, concurrency: 10, ratePerSecond: 300 },
      costPerCall: 0,
      costPerMatch: 0.02,
    },
    {
      // Strong outside Europe, per call: capacity 350/s (rate-bound).
      id: 'global',
      behaviour: { matchRate: { '*': 0.75, de: 0.2, fr: 0.25, uk: 0.5 }, latency: { medianMs: 50, sigma: 0.4 }, concurrency: 32, ratePerSecond: 350 },
      costPerCall: 0.006,
      costPerMatch: 0,
    },
    {
      // Middling everywhere, call plus match fee: capacity ≈250/s (concurrency-bound).
      id: 'hybrid',
      behaviour: { matchRate: { '*': 0.45 }, latency: { medianMs: 40, sigma: 0.6 }, concurrency: 12, ratePerSecond: 500 },
      costPerCall: 0.002,
      costPerMatch: 0.008,
    },
  ];
}

export const SCENARIO_B_TLDS = { com: 35, io: 10, net: 10, de: 20, fr: 15, 'co.uk': 10 };

/** For the memory run: fast and roomy, so the engine itself is what limits throughput. */
export function fastProviders(): BenchProvider[] {
  return [
    {
      id: 'fast-a',
      behaviour: { matchRate: { '*': 0.5 }, latency: { medianMs: 2, sigma: 0.3 }, concurrency: 128, ratePerSecond: 50_000 },
      costPerCall: 0.001,
      costPerMatch: 0,
    },
    {
      id: 'fast-b',
      behaviour: { matchRate: { '*': 0.6 }, latency: { medianMs: 2, sigma: 0.3 }, concurrency: 128, ratePerSecond: 50_000 },
      costPerCall: 0,
      costPerMatch: 0.01,
    },
  ];
}
