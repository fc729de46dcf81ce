import type { Provider } from '../providers/types.js';
import type { Stats } from './stats.js';

// A new provider is assumed to match half the time, worth a few calls of evidence: enough to get it tried.
const PRIOR_RATE = 0.5;
const PRIOR_WEIGHT = 4;
// A segment's own figures count as much as the workspace-wide rate only after this many answers.
const SEGMENT_WEIGHT = 20;
const DEFAULT_LATENCY_MS = 1000;

export interface Ranked {
  provider: Provider;
  matchRate: number;
  costPerMatch: number;
}

export function expectedMatchRate(stats: Stats, workspace: string, segment: string, p: Provider): number {
  const all = stats.overall(workspace, p.id);
  const overall = ((all?.matches ?? 0) + PRIOR_RATE * PRIOR_WEIGHT) / ((all?.answered ?? 0) + PRIOR_WEIGHT);
  const seg = stats.tally(workspace, segment, p.id);
  if (!seg) return overall;
  return (seg.matches + overall * SEGMENT_WEIGHT) / (seg.answered + SEGMENT_WEIGHT);
}

/**
 * Orders candidates by expected cost per match: for a waterfall that stops at
 * the first match, trying providers in ascending (cost of a try ÷ chance it
 * matches) minimises the expected cost of a row. Latency per match breaks
 * ties, which is what orders the free providers among themselves.
 */
export function rank(candidates: Provider[], stats: Stats, workspace: string, segment: string, manual?: string[]): Ranked[] {
  const ranked = candidates.map((provider) => {
    const matchRate = Math.max(1e-3, expectedMatchRate(stats, workspace, segment, provider));
    const costOfTry = provider.costPerCall + matchRate * provider.costPerMatch;
    const t = stats.overall(workspace, provider.id);
    const latency = t && t.answered > 0 ? t.latencyMs / t.answered : DEFAULT_LATENCY_MS;
    return { provider, matchRate, costPerMatch: costOfTry / matchRate, latencyPerMatch: latency / matchRate };
  });
  if (manual) {
    const pos = (id: string) => {
      const i = manual.indexOf(id);
      return i === -1 ? manual.length : i;
    };
    return ranked.sort((a, b) => pos(a.provider.id) - pos(b.provider.id));
  }
  return ranked.sort((a, b) => a.costPerMatch - b.costPerMatch || a.latencyPerMatch - b.latencyPerMatch);
}
