import type { Provider } from '../providers/types.js';
import { parentTld, type Stats } from './stats.js';

// A new provider is assumed to match half the time, worth a few calls of evidence: enough to get it tried.
const PRIOR_RATE = 0.5;
const PRIOR_WEIGHT = 4;
// A segment's own figures count as much as the workspace-wide rate once it has this many answers: how many depends
// on how much the provider's segments differ (few where they differ a lot), within these bounds.
const SEGMENT_WEIGHT = { least: 2, most: 50, unknown: 20 };
const DEFAULT_LATENCY_MS = 1000;

/**
 * The weight of the workspace-wide rate in a segment's estimate, as the
 * pseudo-count of a beta prior with the observed spread between segments:
 * where a provider is strong in one region and weak in another, a segment's
 * own few answers soon decide; where it is the same everywhere, they are
 * pooled. A fixed weight did neither: large enough to pool, it kept a weak
 * region looking strong for dozens of answers, and the order flipped back
 * and forth while they came in.
 */
function segmentWeight(stats: Stats, workspace: string, p: Provider, overall: number): number {
  const spread = stats.segmentSpread(workspace, p.id);
  if (spread === undefined) return SEGMENT_WEIGHT.unknown;
  // No spread at all divides to Infinity: the most pooling.
  return Math.min(SEGMENT_WEIGHT.most, Math.max(SEGMENT_WEIGHT.least, (overall * (1 - overall)) / spread - 1));
}

/**
 * The provider's match rate for rows of this segment: the segment's own
 * answers, shrunk toward the rate of its TLD's other segments (for `co.uk`:
 * `uk`, `org.uk`, …), itself shrunk toward the workspace-wide rate, both by
 * the same weight. So a rare TLD is judged by the workspace until its own
 * answers say otherwise, and a rare suffix first by its siblings, which are
 * likelier alike (and hold what was journalled for `co.uk` as `uk` before
 * segments were public suffixes).
 */
export function expectedMatchRate(stats: Stats, workspace: string, segment: string, p: Provider): number {
  const all = stats.overall(workspace, p.id);
  const overall = ((all?.matches ?? 0) + PRIOR_RATE * PRIOR_WEIGHT) / ((all?.answered ?? 0) + PRIOR_WEIGHT);
  const seg = stats.tally(workspace, segment, p.id);
  const tld = parentTld(segment);
  const family = tld === undefined ? undefined : stats.tldTally(workspace, tld, p.id);
  // The siblings' answers alone: the segment's own are counted once, below.
  const siblings = (family?.answered ?? 0) - (seg?.answered ?? 0);
  if (!seg && siblings <= 0) return overall;
  const weight = segmentWeight(stats, workspace, p, overall);
  const parent = siblings > 0 ? (family!.matches - (seg?.matches ?? 0) + overall * weight) / (siblings + weight) : overall;
  return seg ? (seg.matches + parent * weight) / (seg.answered + weight) : parent;
}

/**
 * Orders providers by expected cost per match: for a waterfall that stops at
 * the first match, trying providers in ascending (cost of a try ÷ chance it
 * matches) minimises the expected cost of a row. Latency per match breaks
 * ties, which is what orders the free providers among themselves.
 *
 * Each provider's figure is its own, so the order of any subset of providers
 * is this order filtered: it is worked out once per segment and kept until
 * the stats move (a rerun settles thousands of rows against the same figures).
 */
export class Ranking {
  private readonly memo = new Map<string, Map<string, { version: number; order: readonly Provider[] }>>();

  constructor(
    private readonly providers: readonly Provider[],
    private readonly stats: Stats,
    private readonly manual?: readonly string[],
  ) {}

  /** Every provider, best first for rows of this segment. */
  order(workspace: string, segment: string): readonly Provider[] {
    let segments = this.memo.get(workspace);
    if (!segments) this.memo.set(workspace, (segments = new Map()));
    const kept = segments.get(segment);
    if (kept && kept.version === this.stats.version) return kept.order;
    const order = this.rank(workspace, segment);
    segments.set(segment, { version: this.stats.version, order });
    return order;
  }

  private rank(workspace: string, segment: string): Provider[] {
    const { stats, manual } = this;
    if (manual) {
      const pos = (id: string) => {
        const i = manual.indexOf(id);
        return i === -1 ? manual.length : i;
      };
      return [...this.providers].sort((a, b) => pos(a.id) - pos(b.id));
    }
    const ranked = this.providers.map((provider) => {
      const matchRate = Math.max(1e-3, expectedMatchRate(stats, workspace, segment, provider));
      const costOfTry = provider.costPerCall + matchRate * provider.costPerMatch;
      const t = stats.overall(workspace, provider.id);
      const latency = t && t.answered > 0 ? t.latencyMs / t.answered : DEFAULT_LATENCY_MS;
      return { provider, costPerMatch: costOfTry / matchRate, latencyPerMatch: latency / matchRate };
    });
    return ranked.sort((a, b) => a.costPerMatch - b.costPerMatch || a.latencyPerMatch - b.latencyPerMatch).map((r) => r.provider);
  }
}

/** What real-time routing needs to know of a provider's current state (ProviderHealth). */
export interface RealtimeHealth {
  degraded(provider: string, now: number): boolean;
  expectedMs(provider: string, now: number): number | undefined;
}

/**
 * The order a real-time lookup asks `list` (already in the cost order above,
 * filtered to the row's candidates) with `remainingMs` of its deadline left:
 * expected time to an answer first, then cost.
 * - Providers expected to answer in time and not degraded keep the cost order:
 *   while every provider is healthy this is exactly the bulk order.
 * - Degraded ones (most calls slower than their own p95) come after them,
 *   quickest first: asked only once no healthy provider can fill the field.
 * - Any provider whose current expected latency exceeds what is left of the
 *   deadline is left out: its answer could not be part of this lookup's, so
 *   it is not bought for it.
 * Bulk jobs do not use this: they wait, and the cost order stands for them.
 */
export function realtimeOrder(list: readonly Provider[], health: RealtimeHealth, remainingMs: number, now: number): Provider[] {
  const inTime: Provider[] = [];
  const degraded: { provider: Provider; ms: number }[] = [];
  for (const provider of list) {
    const ms = health.expectedMs(provider.id, now);
    if (ms !== undefined && ms > remainingMs) continue;
    if (health.degraded(provider.id, now)) degraded.push({ provider, ms: ms ?? Infinity });
    else inTime.push(provider);
  }
  degraded.sort((a, b) => a.ms - b.ms);
  return [...inTime, ...degraded.map((d) => d.provider)];
}
