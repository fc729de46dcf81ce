import type { ScoreRule } from '../../config/pipeline.js';
import { holds, type Facts } from './predicate.js';

export interface Scored {
  score: number;
  /** Every rule that gave points (or took them), in config order: why the score is what it is. */
  breakdown: { rule: string; points: number }[];
}

/** The ICP score: the points of every rule that holds, capped to 0–100. Pure and deterministic. */
export function scoreLead(rules: readonly ScoreRule[], facts: Facts): Scored {
  const breakdown = rules.filter((r) => holds(r.if, facts)).map((r) => ({ rule: r.name, points: r.points }));
  const sum = breakdown.reduce((s, b) => s + b.points, 0);
  return { score: Math.max(0, Math.min(100, sum)), breakdown };
}
