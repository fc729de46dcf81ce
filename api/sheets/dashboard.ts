import type { Alerts } from '../../shared/alerts.js';
import type { LeadFunnel, Metrics, ProviderMetrics } from '../../shared/index.js';

export const DASHBOARD_TITLE = 'Cascade dashboard';
export const DASHBOARD_MARKER = 'cascade.dashboard';
/** The layout's version, kept in the tab's marker: a tab of another layout (fewer rows, other charts) is made again. */
export const DASHBOARD_VERSION = 'v4';

const HEADER = ['Provider', 'Match rate', 'p95 latency (ms)', 'Cost per match (USD)', 'Calls', '429s', 'Errors'];
const COLS = HEADER.length;
export const MAX_PROVIDERS = 20;
/** Alerts shown at the top, in plain words (GET /v1/alerts' messages); more are summed up on the last line. */
export const MAX_ALERTS = 5;
export const ALERTS_SECTION = 3;
/**
 * A job of leads' funnel (GET /v1/metrics?jobId='s `funnel`), blank for another job: title, header, a row per
 * stage (its count and share of rows), then the job's spend and its cost per qualified lead.
 */
export const FUNNEL_SECTION = ALERTS_SECTION + MAX_ALERTS + 2;
const FUNNEL_STAGES = 5;
const FUNNEL_ROWS = 2 + FUNNEL_STAGES + 2;
/** 1-based first row of each section's title; then a header row, a totals row and one row per provider. */
export const JOB_SECTION = FUNNEL_SECTION + FUNNEL_ROWS + 1;
export const WEEK_SECTION = JOB_SECTION + MAX_PROVIDERS + 4;
/** This week against the one before: title, header, 4 total lines, then a match-rate line per provider. */
export const TREND_SECTION = WEEK_SECTION + MAX_PROVIDERS + 4;
const TREND_TOTALS = ['Spend', 'Matches', 'Cost per match', 'Cost per verified match', 'Saved by the cache'] as const;
/** Daily match rate per provider over 14 days (the trend chart's data): title, header, one row a day. */
export const DAILY_SECTION = TREND_SECTION + 2 + TREND_TOTALS.length + MAX_PROVIDERS + 2;
export const DAILY_PROVIDERS = COLS - 1;
const DAILY_DAYS = 14;
export const DASHBOARD_ROWS = DAILY_SECTION + 2 + DAILY_DAYS;
const DAY_MS = 86_400_000;
/** A time as Sheets holds a date: days since 1899-12-30 (UTC), shown through a DATE_TIME number format. */
export const sheetsDate = (ms: number) => ms / DAY_MS + 25569;

type Cell = string | number;

const round = (x: number | null, digits: number): Cell => (x === null ? '' : Math.round(x * 10 ** digits) / 10 ** digits);

/** One provider's (or the totals') figures, as the dashboard shows them: the same numbers GET /v1/metrics gives, rounded. */
export function figureCells(label: string, p: Pick<ProviderMetrics, 'matchRate' | 'p95Ms' | 'costPerMatch' | 'calls' | 'rateLimited' | 'errors'>): Cell[] {
  return [label, round(p.matchRate, 4), round(p.p95Ms, 1), round(p.costPerMatch, 6), p.calls, p.rateLimited, p.errors];
}

function section(title: string, m: Metrics): Cell[][] {
  const providers = m.providers.slice(0, MAX_PROVIDERS).map((p) => figureCells(p.label, p));
  return [[title], HEADER, figureCells('All providers', m.totals), ...providers];
}

/** The whole tab's values, every cell of the block given (blank as ''), so figures of a provider no longer listed are cleared. */
export function dashboardValues(jobId: string, job: Metrics, week: Metrics, now: number, alerts?: Alerts): Cell[][] {
  const rows: Cell[][] = Array.from({ length: DASHBOARD_ROWS }, () => new Array<Cell>(COLS).fill(''));
  const put = (row: number, lines: Cell[][]) => {
    lines.forEach((l, i) => {
      l.forEach((v, j) => {
        rows[row - 1 + i]![j] = v;
      });
    });
  };
  put(1, [['Cascade dashboard'], ['Job', jobId, 'Updated (UTC)', sheetsDate(now)]]);
  if (alerts) put(ALERTS_SECTION, alertLines(alerts));
  if (job.funnel) put(FUNNEL_SECTION, funnelLines(job.funnel));
  put(JOB_SECTION, section('This job', job));
  put(WEEK_SECTION, section('Last 7 days, all jobs of the workspace', week));
  if (alerts) {
    put(TREND_SECTION, trendLines(alerts, week));
    put(DAILY_SECTION, dailyLines(alerts));
  }
  return rows;
}

function alertLines(a: Alerts): Cell[][] {
  const lines: Cell[][] = [['Alerts']];
  if (!a.alerts.length) return [...lines, ['None: every provider is within its usual match rate and latency.']];
  const shown = a.alerts.length > MAX_ALERTS ? a.alerts.slice(0, MAX_ALERTS - 1) : a.alerts;
  lines.push(...shown.map((x) => [`⚠ ${x.message}`]));
  if (shown.length < a.alerts.length) lines.push([`…and ${a.alerts.length - shown.length} more: GET /v1/alerts`]);
  return lines;
}

/**
 * The funnel's stages down the rows, each with its count and its share of the job's rows (blank while it has
 * none), as GET /v1/metrics gives them; the model's verdict is labelled as the model's.
 */
export function funnelLines(f: LeadFunnel): Cell[][] {
  const stage = (label: string, n: number): Cell[] => [label, n, f.rows ? round(n / f.rows, 4) : ''];
  return [
    ['Lead funnel'],
    ['Stage', 'Leads', 'Share of rows'],
    stage('Rows', f.rows),
    stage('Enriched', f.enriched),
    stage(f.minScore === null ? 'Scored (no floor)' : `Scored ${f.minScore} or more`, f.aboveFloor),
    stage('Qualified by the model', f.qualified),
    stage('Delivered to the CRM', f.delivered),
    ['Spend (enrichment and model)', f.costUsd],
    ['Cost per qualified lead', round(f.costPerQualifiedUsd, 6)],
  ];
}

const arrow = (change: number | null, goodWhenUp: boolean): Cell =>
  change === null || change === 0 ? (change === 0 ? '=' : '') : change > 0 === goodWhenUp ? '▲ better' : '▼ worse';
const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);

/**
 * This week against the one before. This week's spend, matches and cost per
 * match are GET /v1/metrics?window=7d's totals (the same calls as
 * GET /v1/alerts' week: the window is the same); last week's and cost per
 * verified match are GET /v1/alerts'.
 */
function trendLines(a: Alerts, week: Metrics): Cell[][] {
  const { thisWeek, lastWeek } = a.totals;
  // `scale` puts the change in the unit its cell shows: a match rate's change is in percentage points (×100).
  const line = (label: string, now: number | null, before: number | null, goodWhenUp: boolean, scale = 1): Cell[] => {
    const change = diff(now, before);
    return [label, now ?? '', before ?? '', change === null ? '' : change * scale, arrow(change, goodWhenUp)];
  };
  const providers = a.providers.slice(0, MAX_PROVIDERS).map((p) => line(`${p.label}: match rate`, p.matchRate.thisWeek, p.matchRate.lastWeek, true, 100));
  return [
    ['Last 7 days against the 7 before'],
    ['', 'Last 7 days', '7 days before', 'Change', ''],
    line('Spend', week.totals.costUsd, lastWeek.costUsd, false),
    line('Matches', week.totals.matches, lastWeek.matches, true),
    line('Cost per match', week.totals.costPerMatch, lastWeek.costPerMatch, false),
    line('Cost per verified match', thisWeek.costPerVerifiedMatch, lastWeek.costPerVerifiedMatch, false),
    // At provider prices (GET /v1/metrics' savedUsd); the week before's is not kept, so no change is shown.
    line('Saved by the cache', week.totals.savedUsd, null, true),
    ...providers,
  ];
}

function dailyLines(a: Alerts): Cell[][] {
  const ps = a.providers.slice(0, DAILY_PROVIDERS);
  const days = ps[0]?.daily ?? [];
  return [
    ['Daily match rate (24 hours ending)'],
    ['Day', ...ps.map((p) => p.label)],
    ...days.map((d, i) => [sheetsDate(Date.parse(d.until)), ...ps.map((p) => p.daily[i]?.matchRate ?? '')]),
  ];
}

const providerRows = (sheetId: number, col: number) => ({
  sources: [{ sheetId, startRowIndex: JOB_SECTION + 2, endRowIndex: JOB_SECTION + 2 + MAX_PROVIDERS, startColumnIndex: col, endColumnIndex: col + 1 }],
});

function chart(sheetId: number, title: string, axis: string, col: number, anchorRow: number) {
  return {
    addChart: {
      chart: {
        spec: {
          title,
          basicChart: {
            chartType: 'COLUMN',
            legendPosition: 'NO_LEGEND',
            axis: [
              { position: 'BOTTOM_AXIS', title: 'Provider' },
              { position: 'LEFT_AXIS', title: axis },
            ],
            domains: [{ domain: { sourceRange: providerRows(sheetId, 0) } }],
            series: [{ series: { sourceRange: providerRows(sheetId, col) }, targetAxis: 'LEFT_AXIS' }],
            headerCount: 0,
          },
        },
        position: { overlayPosition: { anchorCell: { sheetId, rowIndex: anchorRow, columnIndex: COLS + 1 }, widthPixels: 520, heightPixels: 300 } },
      },
    },
  };
}

/** Rows and columns 0-based, end exclusive. */
function numberFormat(sheetId: number, col: number, type: string, pattern: string, rows: [number, number] = [JOB_SECTION + 1, TREND_SECTION - 1], cols = 1) {
  return {
    repeatCell: {
      range: { sheetId, startRowIndex: rows[0], endRowIndex: rows[1], startColumnIndex: col, endColumnIndex: col + cols },
      cell: { userEnteredFormat: { numberFormat: { type, pattern } } },
      fields: 'userEnteredFormat.numberFormat',
    },
  };
}

/** A line per provider (up to DAILY_PROVIDERS) of its daily match rate over the last 14 days; the header row names the series. */
function dailyChart(sheetId: number) {
  const block = (col: number) => ({
    sources: [{ sheetId, startRowIndex: DAILY_SECTION, endRowIndex: DASHBOARD_ROWS, startColumnIndex: col, endColumnIndex: col + 1 }],
  });
  return {
    addChart: {
      chart: {
        spec: {
          title: 'Daily match rate by provider (last 14 days)',
          basicChart: {
            chartType: 'LINE',
            legendPosition: 'BOTTOM_LEGEND',
            axis: [
              { position: 'BOTTOM_AXIS', title: 'Day' },
              { position: 'LEFT_AXIS', title: 'Match rate' },
            ],
            domains: [{ domain: { sourceRange: block(0) } }],
            series: Array.from({ length: DAILY_PROVIDERS }, (_, i) => ({ series: { sourceRange: block(i + 1) }, targetAxis: 'LEFT_AXIS' })),
            headerCount: 1,
          },
        },
        position: { overlayPosition: { anchorCell: { sheetId, rowIndex: TREND_SECTION - 1, columnIndex: COLS + 1 }, widthPixels: 620, heightPixels: 320 } },
      },
    },
  };
}

/** Creates the tab, its number formats and the two charts (over this job's provider rows) in one request. */
export function dashboardSetup(sheetId: number) {
  return [
    { addSheet: { properties: { sheetId, title: DASHBOARD_TITLE, gridProperties: { rowCount: DASHBOARD_ROWS + 10, columnCount: COLS + 10 } } } },
    numberFormat(sheetId, 1, 'PERCENT', '0.0%'),
    numberFormat(sheetId, 2, 'NUMBER', '#,##0" ms"'),
    numberFormat(sheetId, 3, 'CURRENCY', '$0.0000'),
    numberFormat(sheetId, 3, 'DATE_TIME', 'yyyy-mm-dd hh:mm', [1, 2]),
    // The funnel: counts and shares of its stages, then spend and cost per qualified lead (0-based rows).
    numberFormat(sheetId, 1, 'NUMBER', '#,##0', [FUNNEL_SECTION + 1, FUNNEL_SECTION + 1 + FUNNEL_STAGES]),
    numberFormat(sheetId, 2, 'PERCENT', '0.0%', [FUNNEL_SECTION + 1, FUNNEL_SECTION + 1 + FUNNEL_STAGES]),
    numberFormat(sheetId, 1, 'CURRENCY', '$#,##0.00', [FUNNEL_SECTION + 1 + FUNNEL_STAGES, FUNNEL_SECTION + 2 + FUNNEL_STAGES]),
    numberFormat(sheetId, 1, 'CURRENCY', '$0.0000', [FUNNEL_SECTION + 2 + FUNNEL_STAGES, FUNNEL_SECTION + FUNNEL_ROWS - 1]),
    // The trend lines: spend, matches, cost per match, cost per verified match, then match rates (0-based rows).
    numberFormat(sheetId, 1, 'CURRENCY', '$#,##0.00', [TREND_SECTION + 1, TREND_SECTION + 2], 2),
    numberFormat(sheetId, 3, 'CURRENCY', '+$#,##0.00;-$#,##0.00', [TREND_SECTION + 1, TREND_SECTION + 2]),
    numberFormat(sheetId, 1, 'NUMBER', '#,##0', [TREND_SECTION + 2, TREND_SECTION + 3], 2),
    numberFormat(sheetId, 3, 'NUMBER', '+#,##0;-#,##0', [TREND_SECTION + 2, TREND_SECTION + 3]),
    numberFormat(sheetId, 1, 'CURRENCY', '$0.0000', [TREND_SECTION + 3, TREND_SECTION + 5], 2),
    numberFormat(sheetId, 3, 'CURRENCY', '+$0.0000;-$0.0000', [TREND_SECTION + 3, TREND_SECTION + 5]),
    numberFormat(sheetId, 1, 'CURRENCY', '$#,##0.00', [TREND_SECTION + 5, TREND_SECTION + 6], 2),
    numberFormat(sheetId, 1, 'PERCENT', '0.0%', [TREND_SECTION + 6, DAILY_SECTION - 1], 2),
    // Points, not a percent: the cell holds the change ×100 already (a PERCENT pattern without % would not scale it).
    numberFormat(sheetId, 3, 'NUMBER', '+0.0" pts";-0.0" pts"', [TREND_SECTION + 6, DAILY_SECTION - 1]),
    numberFormat(sheetId, 0, 'DATE', 'yyyy-mm-dd', [DAILY_SECTION + 1, DASHBOARD_ROWS]),
    numberFormat(sheetId, 1, 'PERCENT', '0.0%', [DAILY_SECTION + 1, DASHBOARD_ROWS], DAILY_PROVIDERS),
    dailyChart(sheetId),
    chart(sheetId, 'Match rate by provider (this job)', 'Match rate', 1, JOB_SECTION - 1),
    chart(sheetId, 'Cost per match by provider (this job)', 'USD per match', 3, JOB_SECTION + 16),
    {
      createDeveloperMetadata: {
        developerMetadata: { metadataKey: DASHBOARD_MARKER, metadataValue: DASHBOARD_VERSION, location: { sheetId }, visibility: 'DOCUMENT' },
      },
    },
  ];
}
