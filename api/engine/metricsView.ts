import type { LeadFunnel, Metrics, ProviderMetrics } from '../../shared/index.js';
import type { Provider } from '../providers/types.js';
import type { ProviderFigures } from '../storage/calls.js';
import type { FunnelCounts } from '../storage/funnel.js';

export interface MetricsWindow {
  window: string;
  since: number;
  jobId?: string;
  /** A job of leads' funnel, and the score floor it was counted against; none for plain enrichment. */
  funnel?: { counts: FunnelCounts; minScore: number | null };
}

type Figure = 'calls' | 'paidCalls' | 'matches' | 'noMatches' | 'rateLimited' | 'errors' | 'cacheHits' | 'costUsd' | 'savedUsd';

/**
 * The dashboard's figures from the call journal's: one line per configured
 * provider (zeros for one never called) and per provider the journal still
 * names though the configuration dropped it, and the totals.
 */
export function metricsView(
  providers: readonly Provider[],
  figures: readonly ProviderFigures[],
  overall: { p50Ms: number | null; p95Ms: number | null },
  { window, since, jobId, funnel }: MetricsWindow,
): Metrics {
  const byId = new Map(figures.map((f) => [f.providerId, f]));
  const ids = [...new Set([...providers.map((p) => p.id), ...byId.keys()])];
  const rows: ProviderMetrics[] = ids.map((id) => {
    const p = providers.find((x) => x.id === id);
    const f = byId.get(id);
    const answered = (f?.matches ?? 0) + (f?.noMatches ?? 0);
    const cost = f?.costUsd ?? 0;
    const matchRate = answered ? f!.matches / answered : null;
    const hits = f?.cacheHits ?? 0;
    // A dropped provider's prices are unknown: its hits saved nothing anyone can price.
    const saved = p ? hits * (p.costPerCall + p.costPerMatch * (matchRate ?? 0)) : 0;
    return {
      provider: id,
      label: p ? (p.demo ? `${p.label} (demo)` : p.label) : id,
      demo: p?.demo ?? false,
      ...(p?.predictive ? { predicted: true } : {}),
      calls: f?.calls ?? 0,
      paidCalls: f?.paidCalls ?? 0,
      matches: f?.matches ?? 0,
      noMatches: f?.noMatches ?? 0,
      matchRate,
      p50Ms: f?.p50Ms ?? null,
      p95Ms: f?.p95Ms ?? null,
      costUsd: cost,
      costPerMatch: f?.matches ? cost / f.matches : null,
      rateLimited: f?.rateLimited ?? 0,
      errors: f?.errors ?? 0,
      cacheHits: hits,
      savedUsd: Math.round(saved * 1e6) / 1e6,
    };
  });
  // Predictions are not matches: data providers' figures and predictive ones' are summed apart.
  const sumOf = (k: Figure, predicted: boolean) => rows.reduce((a, r) => a + (Boolean(r.predicted) === predicted ? r[k] : 0), 0);
  const sum = (k: Figure) => sumOf(k, false) + (k === 'matches' || k === 'noMatches' ? 0 : sumOf(k, true));
  const matches = sum('matches');
  const answered = matches + sum('noMatches');
  return {
    window,
    since: new Date(since).toISOString(),
    ...(jobId ? { jobId } : {}),
    providers: rows,
    totals: {
      calls: sum('calls'),
      paidCalls: sum('paidCalls'),
      matches,
      noMatches: sum('noMatches'),
      matchRate: answered ? matches / answered : null,
      p50Ms: overall.p50Ms,
      p95Ms: overall.p95Ms,
      costUsd: sum('costUsd'),
      costPerMatch: matches ? sumOf('costUsd', false) / matches : null,
      rateLimited: sum('rateLimited'),
      errors: sum('errors'),
      cacheHits: sum('cacheHits'),
      savedUsd: Math.round(sum('savedUsd') * 1e6) / 1e6,
      predictedMatches: sumOf('matches', true),
      predictedCostUsd: sumOf('costUsd', true),
    },
    ...(funnel ? { funnel: leadFunnel(funnel.counts, funnel.minScore) } : {}),
  };
}

const usd = (x: number) => Math.round(x * 1e6) / 1e6;

/** The funnel as GET /v1/metrics gives it: the stages' counts, and the spend per qualified lead (none while none is). */
export function leadFunnel(c: FunnelCounts, minScore: number | null): LeadFunnel {
  return {
    rows: c.rows,
    enriched: c.enriched,
    aboveFloor: c.aboveFloor,
    minScore,
    qualified: c.qualified,
    delivered: c.delivered,
    costUsd: usd(c.costUsd),
    costPerQualifiedUsd: c.qualified ? usd(c.costUsd / c.qualified) : null,
  };
}
