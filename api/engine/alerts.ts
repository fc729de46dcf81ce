import type { Alert, AlertFigure, Alerts, ProviderTrend, WeekFigures } from '../../shared/alerts.js';
import type { Clock } from '../clock.js';
import type { Provider } from '../providers/types.js';
import type { AlertsStore } from '../storage/alerts.js';
import type { CallsStore } from '../storage/calls.js';

/**
 * Alerts and trends, computed from per-period figures alone (no storage, no
 * clock): the call journal's query (CallsStore.daily) gives them, and tests
 * give them directly.
 *
 * A period is 24 hours ending a whole number of days before `now`: period 0
 * is the last 24 hours, so periods 0–6 are exactly GET /v1/metrics'
 * `window=7d`, and periods 7–13 the week before it.
 */
export const PERIODS = 14;
export const DAY_MS = 86_400_000;
/** A drop of more than this much (0–1) in a provider's match rate against the week before is an alert. */
export const MATCH_RATE_DROP = 0.1;
/** A current p95 above this many times the baseline is an alert. */
export const LATENCY_FACTOR = 2;
/** Fewer answered calls than this in either week say nothing about a match rate: no alert. */
export const MIN_WEEK_ANSWERED = 20;
/** Fewer answered calls than this in the last 24 hours give no current p95 to alert on. */
export const MIN_DAY_ANSWERED = 5;
/** A latency baseline needs daily p95s from at least this many of the 7 days before. */
export const MIN_BASELINE_DAYS = 3;

/** One provider's figures over one period. */
export interface PeriodFigures {
  providerId: string;
  /** 0 = the last 24 hours. */
  period: number;
  calls: number;
  matches: number;
  noMatches: number;
  costUsd: number;
  /** Nearest-rank p95 of the period's answered calls. */
  p95Ms: number | null;
}

export interface AlertInputs {
  now: number;
  providers: readonly { id: string; label: string; predictive?: boolean }[];
  figures: readonly PeriodFigures[];
  /** Verified matches per period (index = period). */
  verified: readonly number[];
}

/** An alert as computed, before the engine says since when it is in force. */
export type Finding = Omit<Alert, 'since'>;

const pct = (x: number) => `${Math.round(x * 100)}%`;
const ms = (x: number) => `${Math.round(x).toLocaleString('en-US')} ms`;

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function matchRate(fs: PeriodFigures[]): { rate: number | null; answered: number } {
  const matches = fs.reduce((a, f) => a + f.matches, 0);
  const answered = matches + fs.reduce((a, f) => a + f.noMatches, 0);
  return { rate: answered ? matches / answered : null, answered };
}

export function alertMessage(label: string, figure: AlertFigure, current: number, baseline: number): string {
  if (figure === 'matchRate')
    return `${label}: match rate ${pct(current)}, down ${Math.round((baseline - current) * 100)} points on last week (${pct(baseline)})`;
  return `${label}: p95 latency ${ms(current)}, ${(current / baseline).toFixed(1)}× its usual ${ms(baseline)}`;
}

export function computeAlerts({ now, providers, figures, verified }: AlertInputs): { findings: Finding[]; trends: Omit<Alerts, 'alerts' | 'asOf'> } {
  const ids = [...new Set([...providers.map((p) => p.id), ...figures.map((f) => f.providerId)])];
  const labelOf = (id: string) => providers.find((p) => p.id === id)?.label ?? id;
  const findings: Finding[] = [];
  const trends: ProviderTrend[] = ids.map((id) => {
    const mine = figures.filter((f) => f.providerId === id);
    const inPeriods = (from: number, to: number) => mine.filter((f) => f.period >= from && f.period <= to);
    const thisWeek = matchRate(inPeriods(0, 6));
    const lastWeek = matchRate(inPeriods(7, 13));
    const today = mine.find((f) => f.period === 0);
    const currentP95 = today && today.matches + today.noMatches >= MIN_DAY_ANSWERED ? today.p95Ms : null;
    const dailyP95s = inPeriods(1, 7).flatMap((f) => (f.p95Ms === null ? [] : [f.p95Ms]));
    const baselineP95 = dailyP95s.length >= MIN_BASELINE_DAYS ? median(dailyP95s) : null;
    const label = labelOf(id);
    if (
      thisWeek.rate !== null &&
      lastWeek.rate !== null &&
      thisWeek.answered >= MIN_WEEK_ANSWERED &&
      lastWeek.answered >= MIN_WEEK_ANSWERED &&
      lastWeek.rate - thisWeek.rate > MATCH_RATE_DROP
    ) {
      findings.push({
        provider: id,
        label,
        figure: 'matchRate',
        current: thisWeek.rate,
        baseline: lastWeek.rate,
        message: alertMessage(label, 'matchRate', thisWeek.rate, lastWeek.rate),
      });
    }
    if (currentP95 !== null && baselineP95 !== null && currentP95 > LATENCY_FACTOR * baselineP95) {
      findings.push({
        provider: id,
        label,
        figure: 'p95Ms',
        current: currentP95,
        baseline: baselineP95,
        message: alertMessage(label, 'p95Ms', currentP95, baselineP95),
      });
    }
    const daily = Array.from({ length: PERIODS }, (_, i) => {
      const period = PERIODS - 1 - i;
      const f = mine.find((x) => x.period === period);
      const answered = (f?.matches ?? 0) + (f?.noMatches ?? 0);
      return {
        until: new Date(now - period * DAY_MS).toISOString(),
        calls: f?.calls ?? 0,
        matchRate: answered ? f!.matches / answered : null,
        p95Ms: f?.p95Ms ?? null,
        costUsd: f?.costUsd ?? 0,
      };
    });
    return {
      provider: id,
      label,
      matchRate: { thisWeek: thisWeek.rate, lastWeek: lastWeek.rate },
      p95Ms: { current: currentP95, baseline: baselineP95 },
      daily,
    };
  });
  // As GET /v1/metrics' totals: predictions are neither matches nor the spend a match costs.
  const predictive = new Set(providers.filter((p) => p.predictive).map((p) => p.id));
  const week = (from: number): WeekFigures => {
    const fs = figures.filter((f) => f.period >= from && f.period <= from + 6 && !predictive.has(f.providerId));
    const costUsd = fs.reduce((a, f) => a + f.costUsd, 0);
    const matches = fs.reduce((a, f) => a + f.matches, 0);
    const verifiedMatches = verified.slice(from, from + 7).reduce((a, n) => a + n, 0);
    return {
      since: new Date(now - (from + 7) * DAY_MS).toISOString(),
      costUsd,
      matches,
      verifiedMatches,
      costPerMatch: matches ? costUsd / matches : null,
      costPerVerifiedMatch: verifiedMatches ? costUsd / verifiedMatches : null,
    };
  };
  return { findings, trends: { totals: { thisWeek: week(0), lastWeek: week(7) }, providers: trends } };
}

interface AlertsDeps {
  calls: Pick<CallsStore, 'periods'>;
  states: Pick<AlertsStore, 'reconcile'>;
  providers: readonly Provider[];
  clock: Clock;
}

/**
 * A workspace's alerts and trends now, with the alert state brought up to date:
 * an alert's `since` is when a check (this one, or the monitor's) first found it.
 */
export async function alertsNow({ calls, states, providers, clock }: AlertsDeps, workspace: string): Promise<Alerts> {
  const now = clock.now();
  const { figures, verified } = await calls.periods(workspace, now, PERIODS);
  // Labelled as GET /v1/metrics labels them.
  const labelled = providers.map((p) => ({ id: p.id, label: p.demo ? `${p.label} (demo)` : p.label, predictive: p.predictive }));
  const { findings, trends } = computeAlerts({ now, providers: labelled, figures, verified });
  const open = await states.reconcile(workspace, findings, now);
  const since = new Map(open.map((a) => [`${a.providerId}\u0000${a.figure}`, a.startedAt]));
  return {
    asOf: new Date(now).toISOString(),
    alerts: findings.map((f) => ({ ...f, since: new Date(since.get(`${f.provider}\u0000${f.figure}`) ?? now).toISOString() })),
    ...trends,
  };
}
