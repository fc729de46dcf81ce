import type { Owner, PipelineConfig, Priority, RouteRule } from '../../config/pipeline.js';
import { holds, type Facts } from './predicate.js';

type Routing = NonNullable<PipelineConfig['route']>;

/** The first rule whose predicates all hold, or none. */
export const ruleFor = (routing: Routing, facts: Facts): RouteRule | undefined => routing.rules.find((r) => r.if.every((p) => holds(p, facts)));

/** The priority a rule gives, else the first band the score reaches, else low. */
export function priorityFor(routing: Routing, rule: RouteRule, score: number | undefined): Priority {
  if (rule.priority) return rule.priority;
  const bands = [...routing.priorities].sort((a, b) => b.minScore - a.minScore);
  return bands.find((b) => (score ?? 0) >= b.minScore)?.priority ?? 'low';
}

/** The owner whose turn it is: turns are numbered from 0 per rule, so owners take leads strictly in order. */
export const ownerAt = (rule: RouteRule, turn: number): Owner => rule.owners[turn % rule.owners.length]!;
