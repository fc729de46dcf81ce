import type { SimRequest } from '../../api/demo/simServer.js';
import type { BenchProvider } from './scenario.js';

/** Mean of a log-normal with this median and sigma: median·exp(σ²/2). */
export const meanLatencyMs = (p: BenchProvider) => p.behaviour.latency.medianMs * Math.exp(p.behaviour.latency.sigma ** 2 / 2);

/** What the provider can sustain by its documented limits: min(concurrency ÷ mean latency, rate). */
export function capacity(p: BenchProvider): { perSecond: number; by: 'concurrency' | 'rate' } {
  const byConcurrency = p.behaviour.concurrency / (meanLatencyMs(p) / 1000);
  return byConcurrency < p.behaviour.ratePerSecond ? { perSecond: byConcurrency, by: 'concurrency' } : { perSecond: p.behaviour.ratePerSecond, by: 'rate' };
}

const isPaid = (r: SimRequest) => r.status === 200 || r.status === 404;

export interface ProviderFigures {
  id: string;
  capacity: number;
  capacityBy: 'concurrency' | 'rate';
  /** Distinct inputs of these rows the provider was asked for ÷ rows. */
  fraction: number;
  /** capacity ÷ fraction: rows/s this provider alone allows. */
  rowBound: number;
  requests: number;
  paid: number;
  rateLimited: number;
  other: number;
  /** Paid answers beyond the first for the same input. */
  duplicates: number;
  /** What the paid answers cost by the provider's price list. */
  costUsd: number;
}

export interface LogFigures {
  providers: ProviderFigures[];
  /** min over providers of rowBound. */
  bound: number;
  boundBy: string;
  paid: number;
  duplicates: number;
  rateLimited: number;
  costUsd: number;
}

/** Figures from the sim's request log, restricted to requests for the given rows' inputs. */
export function analyseLog(providers: readonly BenchProvider[], log: readonly SimRequest[], qs: ReadonlySet<string>): LogFigures {
  const figures = providers.map((p): ProviderFigures => {
    const mine = log.filter((r) => r.provider === p.id && qs.has(r.q));
    const distinct = new Set(mine.map((r) => r.q)).size;
    const paidCount = new Map<string, number>();
    let costUsd = 0;
    for (const r of mine) {
      if (!isPaid(r)) continue;
      paidCount.set(r.q, (paidCount.get(r.q) ?? 0) + 1);
      costUsd += p.costPerCall + (r.status === 200 ? p.costPerMatch : 0);
    }
    const paid = [...paidCount.values()].reduce((a, n) => a + n, 0);
    const cap = capacity(p);
    const fraction = distinct / qs.size;
    return {
      id: p.id,
      capacity: cap.perSecond,
      capacityBy: cap.by,
      fraction,
      rowBound: fraction > 0 ? cap.perSecond / fraction : Infinity,
      requests: mine.length,
      paid,
      rateLimited: mine.filter((r) => r.status === 429).length,
      other: mine.filter((r) => !isPaid(r) && r.status !== 429).length,
      duplicates: paid - paidCount.size,
      costUsd,
    };
  });
  const tightest = figures.reduce((a, b) => (b.rowBound < a.rowBound ? b : a));
  const sum = (k: 'paid' | 'duplicates' | 'rateLimited' | 'costUsd') => figures.reduce((a, f) => a + f[k], 0);
  return {
    providers: figures,
    bound: tightest.rowBound,
    boundBy: tightest.id,
    paid: sum('paid'),
    duplicates: sum('duplicates'),
    rateLimited: sum('rateLimited'),
    costUsd: sum('costUsd'),
  };
}

/** Paid answers in a log slice, whatever input they were for. */
export const paidCalls = (log: readonly SimRequest[]) => log.filter(isPaid).length;
