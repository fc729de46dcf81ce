import { unitHash } from '../../api/demo/prng.js';
import type { BenchProvider } from './benchConfig.js';

/** The TLD the sim keys its match rate on (same rule as rateFor in simServer.ts). */
export function tldOf(q: string): string {
  const domain = q.includes('@') ? q.slice(q.indexOf('@') + 1) : q;
  return domain.slice(domain.lastIndexOf('.') + 1);
}

/** Whether the sim answers this input with a match: fixed per (provider, input), as simServer.ts decides it. */
export function simMatches(p: BenchProvider, q: string): boolean {
  const rates = p.behaviour.matchRate;
  return unitHash(`${p.id}:${q}`) < (rates[tldOf(q)] ?? rates['*'] ?? 0);
}

export function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [xs.slice()];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

/** Every provider's answer for every input, computed once: the permutations below reuse it. */
export class MatchTable {
  private readonly matched = new Map<string, boolean[]>();

  constructor(
    readonly providers: readonly BenchProvider[],
    qs: Iterable<string>,
  ) {
    for (const q of qs)
      this.matched.set(
        q,
        providers.map((p) => simMatches(p, q)),
      );
  }

  /** Cost of one input through a fixed order: every provider tried pays its call, the one that matches its match. */
  cost(order: readonly number[], q: string): number {
    const m = this.matched.get(q);
    if (!m) throw new Error(`no match row for ${q}`);
    let cost = 0;
    for (const i of order) {
      const p = this.providers[i]!;
      cost += p.costPerCall;
      if (m[i]) return cost + p.costPerMatch;
    }
    return cost;
  }

  /** Cost a set of inputs would have through a fixed provider order (indices into providers). */
  orderCost(order: readonly number[], qs: readonly string[]): number {
    return qs.reduce((a, q) => a + this.cost(order, q), 0);
  }
}

export interface OrderCost {
  order: string[];
  cost: number;
}

/** Every fixed order's total cost over `qs`, cheapest first. */
export function allOrders(table: MatchTable, qs: readonly string[]): OrderCost[] {
  const idx = table.providers.map((_, i) => i);
  return permutations(idx)
    .map((perm) => ({ order: perm.map((i) => table.providers[i]!.id), cost: table.orderCost(perm, qs) }))
    .sort((a, b) => a.cost - b.cost);
}

export function cheapestOrder(table: MatchTable, qs: readonly string[]): OrderCost {
  return allOrders(table, qs)[0]!;
}

export interface PerGroupOptimum {
  cost: number;
  groups: { group: string; rows: number; best: OrderCost }[];
}

/** The cheapest fixed order chosen separately for each group of inputs (by TLD, say), and the total. */
export function cheapestPerGroup(table: MatchTable, qs: readonly string[], groupOf: (q: string) => string): PerGroupOptimum {
  const groups = new Map<string, string[]>();
  for (const q of qs) {
    const g = groupOf(q);
    const list = groups.get(g);
    if (list) list.push(q);
    else groups.set(g, [q]);
  }
  const out = [...groups].map(([group, list]) => ({ group, rows: list.length, best: cheapestOrder(table, list) }));
  out.sort((a, b) => b.rows - a.rows);
  return { cost: out.reduce((a, g) => a + g.best.cost, 0), groups: out };
}
