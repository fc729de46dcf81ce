import type { SimRequest } from '../../api/demo/simServer.js';
import type { BenchProvider } from './benchConfig.js';

/** Mean of a log-normal with this median and sigma: median·exp(σ²/2). */
export const meanLatencyMs = (p: BenchProvider) => p.behaviour.latency.medianMs * Math.exp(p.behaviour.latency.sigma ** 2 / 2);

/**
 * What the provider can sustain by its limits: min(concurrency ÷ mean latency, rate).
 * The mean is of the latencies the sim drew for these requests: with σ up to
 * 0.6, the mean of a job's few thousand draws strays some 1% from the
 * distribution's, and no client can go faster than the draws it got.
 */
function capacity(p: BenchProvider, meanMs: number): { perSecond: number; by: 'concurrency' | 'rate' } {
  const byConcurrency = p.behaviour.concurrency / (meanMs / 1000);
  return byConcurrency < p.behaviour.ratePerSecond ? { perSecond: byConcurrency, by: 'concurrency' } : { perSecond: p.behaviour.ratePerSecond, by: 'rate' };
}

function drawnMeanMs(p: BenchProvider, requests: readonly SimRequest[]): number {
  let sum = 0;
  let n = 0;
  for (const r of requests) {
    if (r.latencyMs === undefined) continue;
    sum += r.latencyMs;
    n++;
  }
  return n > 0 ? sum / n : meanLatencyMs(p);
}

const isPaid = (r: SimRequest) => r.status === 200 || r.status === 404;

function bursts(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted.filter((t, i) => i === 0 || t - sorted[i - 1]! > 1000).length;
}

export interface ProviderFigures {
  id: string;
  /** Mean latency the sim drew for these requests. */
  meanMs: number;
  capacity: number;
  capacityBy: 'concurrency' | 'rate';
  /** Distinct inputs of these rows the provider was asked for ÷ rows. */
  fraction: number;
  /** capacity ÷ fraction: rows/s this provider alone allows. */
  rowBound: number;
  requests: number;
  paid: number;
  rateLimited: number;
  /** 429s more than a second apart from the previous one: each costs the provider about a second of pause (the sim's Retry-After). */
  rateLimitedBursts: number;
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

/**
 * Figures from the sim's request log, restricted to requests for the given
 * rows' inputs. `rows` is what fractions are taken of: all the rows, or only
 * those done when a job is cut short.
 */
export function analyseLog(providers: readonly BenchProvider[], log: readonly SimRequest[], qs: ReadonlySet<string>, rows = qs.size): LogFigures {
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
    const meanMs = drawnMeanMs(p, mine);
    const cap = capacity(p, meanMs);
    const fraction = distinct / rows;
    return {
      id: p.id,
      meanMs,
      capacity: cap.perSecond,
      capacityBy: cap.by,
      fraction,
      rowBound: fraction > 0 ? cap.perSecond / fraction : Infinity,
      requests: mine.length,
      paid,
      rateLimited: mine.filter((r) => r.status === 429).length,
      rateLimitedBursts: bursts(mine.filter((r) => r.status === 429).map((r) => r.at)),
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

export interface RerunCalls {
  byProvider: Record<string, number>;
  /** Paid calls for inputs another provider had already matched (so a free cached answer was there). */
  hadCachedMatch: number;
  /** Paid calls repeating an answer already bought (same provider and input). */
  repeats: number;
}

/** Why a rerun paid for anything: which providers, and whether a cached answer could have served the row. */
export function explainRerunCalls(before: readonly SimRequest[], rerun: readonly SimRequest[]): RerunCalls {
  const matchedBy = new Map<string, Set<string>>();
  const bought = new Set<string>();
  for (const r of before) {
    if (!isPaid(r)) continue;
    bought.add(`${r.provider}\0${r.q}`);
    if (r.status !== 200) continue;
    const set = matchedBy.get(r.q);
    if (set) set.add(r.provider);
    else matchedBy.set(r.q, new Set([r.provider]));
  }
  const out: RerunCalls = { byProvider: {}, hadCachedMatch: 0, repeats: 0 };
  for (const r of rerun) {
    if (!isPaid(r)) continue;
    out.byProvider[r.provider] = (out.byProvider[r.provider] ?? 0) + 1;
    if ([...(matchedBy.get(r.q) ?? [])].some((p) => p !== r.provider)) out.hadCachedMatch++;
    if (bought.has(`${r.provider}\0${r.q}`)) out.repeats++;
  }
  return out;
}
