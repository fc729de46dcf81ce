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
 * The three-letter TLDs share one set of rates here; scenario C is the one
 * where they differ.
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

/**
 * Scenario C: coverage differs among the generic TLDs too, so an order
 * learned for .com/.net/.org pooled together is wrong for two of them.
 * The cheapest order: global → hybrid → startup on .com/.uk/.au/.dev,
 * startup → hybrid → global on .io/.net, hybrid → startup → global on .org/.de.
 * Pooled as one "generic" segment (as before issue 19; .io, two letters, was
 * a country segment already), .com/.net/.org/.dev look like global → hybrid
 * → startup. Expected cost with every rate known: one global order 1.15× the
 * cheapest per TLD, generic pooling 1.06×.
 * The sim keys rates on the last label, so .co.uk and .org.uk rows share the
 * .uk rates (the engine keeps them apart, as public suffixes), and .dev
 * rows, rare, take '*'.
 */
export function scenarioCProviders(): BenchProvider[] {
  return [
    {
      // Per call, strong on .com/.au: capacity 350/s (rate-bound).
      id: 'global',
      behaviour: {
        matchRate: { com: 0.85, net: 0.2, org: 0.15, io: 0.08, uk: 0.55, de: 0.1, au: 0.75, '*': 0.5 },
        latency: { medianMs: 50, sigma: 0.4 },
        concurrency: 32,
        ratePerSecond: 350,
      },
      costPerCall: 0.006,
      costPerMatch: 0,
    },
    {
      // Per match, strong on .io and .net: capacity ≈147/s (concurrency-bound).
      id: 'startup',
      behaviour: {
        matchRate: { io: 0.9, org: 0.5, com: 0.35, net: 0.85, uk: 0.4, de: 0.3, au: 0.3, '*': 0.5 },
        latency: { medianMs: 60, sigma: 0.5 },
        concurrency: 10,
        ratePerSecond: 300,
      },
      costPerCall: 0,
      costPerMatch: 0.02,
    },
    {
      // Call plus match fee, strong on .org and .de: capacity ≈250/s (concurrency-bound).
      id: 'hybrid',
      behaviour: {
        matchRate: { com: 0.25, io: 0.1, org: 0.8, net: 0.15, uk: 0.35, de: 0.8, au: 0.25, '*': 0.4 },
        latency: { medianMs: 40, sigma: 0.6 },
        concurrency: 12,
        ratePerSecond: 500,
      },
      costPerCall: 0.002,
      costPerMatch: 0.008,
    },
  ];
}

export const SCENARIO_C_TLDS = { com: 30, io: 18, org: 12, net: 10, 'co.uk': 8, 'org.uk': 2, de: 12, 'com.au': 6, dev: 2 };

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
