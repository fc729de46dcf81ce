import type { Alerts } from '../../shared/alerts.js';
import type { LeadFunnel, Metrics, ProviderMetrics } from '../../shared/index.js';

export const DASHBOARD_TITLE = 'Cascade dashboard';
export const DASHBOARD_MARKER = 'cascade.dashboard';
/** The layout's version, kept in the tab's marker: a tab of another layout (fewer rows, other charts) is made again. */
export const DASHBOARD_VERSION = 'v5';

const HEADER = ['Provider', 'Match rate', 'p95 latency (ms)', 'Cost per match (USD)', 'Calls', '429s', 'Errors'];
const COLS = HEADER.length;
export const MAX_PROVIDERS = 20;
/** Alerts shown at the top, in plain words (GET /v1/alerts' messages); more are summed up on the last line. */
export const MAX_ALERTS = 5;
export const ALERTS_SECTION = 3;
/**
 * The totals, this job and the last 7 days side by side, then the 7 days before and the week-over-week change:
 * title, header, then one line per figure.
 */
export const TOTALS_SECTION = ALERTS_SECTION + MAX_ALERTS + 2;
export const TOTALS = ['Rows', 'Spend', 'Matches', 'Cost per match', 'Cost per verified match', 'Saved by the cache'] as const;
/** Columns of the totals and the match-rate trend (1-based): the label, this job, the last 7 days, the 7 before, the change, its word. */
export const SIDE = { job: 2, week: 3, before: 4, change: 5, word: 6 } as const;
/**
 * A job of leads' funnel (GET /v1/metrics?jobId='s `funnel`), blank for another job: title, header, a row per
 * stage (its count and share of rows), then the job's spend and its cost per qualified lead.
 */
export const FUNNEL_SECTION = TOTALS_SECTION + 2 + TOTALS.length + 1;
const FUNNEL_STAGES = 5;
const FUNNEL_ROWS = 2 + FUNNEL_STAGES + 2;
/** 1-based first row of each section's title; then a header row, a totals row and one row per provider. */
export const JOB_SECTION = FUNNEL_SECTION + FUNNEL_ROWS + 1;
export const WEEK_SECTION = JOB_SECTION + MAX_PROVIDERS + 4;
/** Each provider's match rate, this job and the last 7 days side by side, then the 7 before and the change: title, header, a line per provider. */
export const TREND_SECTION = WEEK_SECTION + MAX_PROVIDERS + 4;
/** Daily match rate per provider over 14 days (the trend chart's data): title, header, one row a day. */
export const DAILY_SECTION = TREND_SECTION + 2 + MAX_PROVIDERS + 2;
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

/** What the dashboard shows of one job and its workspace: GET /v1/metrics for the job and the last 7 days, GET /v1/alerts, and the job's row count. */
export interface DashboardFigures {
  jobId: string;
  /** The job's rows (GET /v1/jobs/{id}'s counts.total); null when not known. */
  rows: number | null;
  job: Metrics;
  week: Metrics;
  alerts?: Alerts;
  now: number;
}

/** The whole tab's values, every cell of the block given (blank as ''), so figures of a provider no longer listed are cleared. */
export function dashboardValues({ jobId, rows: jobRows, job, week, alerts, now }: DashboardFigures): Cell[][] {
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
  put(TOTALS_SECTION, totalsLines(jobRows, job, week, alerts));
  if (job.funnel) put(FUNNEL_SECTION, funnelLines(job.funnel));
  put(JOB_SECTION, section('This job', job));
  put(WEEK_SECTION, section('Last 7 days, all jobs of the workspace', week));
  put(TREND_SECTION, trendLines(job, alerts));
  if (alerts) put(DAILY_SECTION, dailyLines(alerts));
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

/** The change's word beside it (its arrow and colour come from the cell's number format and conditional format). */
const word = (change: number | null, goodWhenUp: boolean): Cell =>
  change === null ? '' : change === 0 ? 'no change' : change > 0 === goodWhenUp ? 'better' : 'worse';
const blankIfNull = (x: number | null | undefined): Cell => (x === null || x === undefined ? '' : x);

/**
 * One side-by-side line: this job, the last 7 days, the 7 days before, the change from the one to the other (in the
 * unit its cell shows, rounded to `digits`), and whether that is better or worse. A figure the API does not give
 * (a job's cost per verified match, last week's cache savings) is left blank, and so is a change without both weeks.
 */
function sideBySide(
  label: string,
  figures: { job?: number | null; week?: number | null; before?: number | null; change?: number | null },
  goodWhenUp: boolean,
  digits: number,
): Cell[] {
  const change = figures.change ?? null;
  return [label, blankIfNull(figures.job), blankIfNull(figures.week), blankIfNull(figures.before), round(change, digits), word(change, goodWhenUp)];
}

const diff = (a: number | null | undefined, b: number | null | undefined) => (a === null || a === undefined || b === null || b === undefined ? null : a - b);

/**
 * The totals: this job's (GET /v1/metrics?jobId=, and its row count), the last 7 days' (GET /v1/metrics?window=7d:
 * the same window as GET /v1/alerts' this week), the 7 days before (GET /v1/alerts' last week) and the change. Cost
 * per verified match is GET /v1/alerts' alone: the API gives it per week, not per job. The change in spend is
 * GET /v1/alerts' own week against week (both count data providers' spend, as cost per match does), which is the
 * difference of the two cells shown whenever the week bought no predictions.
 */
function totalsLines(rows: number | null, job: Metrics, week: Metrics, a: Alerts | undefined): Cell[][] {
  const now = a?.totals.thisWeek;
  const before = a?.totals.lastWeek;
  return [
    ['Totals'],
    ['', 'This job', 'Last 7 days', '7 days before', 'Change', ''],
    sideBySide('Rows', { job: rows }, true, 0),
    sideBySide('Spend', { job: job.totals.costUsd, week: week.totals.costUsd, before: before?.costUsd, change: diff(now?.costUsd, before?.costUsd) }, false, 6),
    sideBySide(
      'Matches',
      { job: job.totals.matches, week: week.totals.matches, before: before?.matches, change: diff(week.totals.matches, before?.matches) },
      true,
      0,
    ),
    sideBySide(
      'Cost per match',
      {
        job: job.totals.costPerMatch,
        week: week.totals.costPerMatch,
        before: before?.costPerMatch,
        change: diff(week.totals.costPerMatch, before?.costPerMatch),
      },
      false,
      6,
    ),
    sideBySide(
      'Cost per verified match',
      { week: now?.costPerVerifiedMatch, before: before?.costPerVerifiedMatch, change: diff(now?.costPerVerifiedMatch, before?.costPerVerifiedMatch) },
      false,
      6,
    ),
    // At provider prices (GET /v1/metrics' savedUsd); the week before's is not kept, so no change is shown.
    sideBySide('Saved by the cache', { job: job.totals.savedUsd, week: week.totals.savedUsd }, true, 6),
  ];
}

/**
 * Each provider's match rate: this job's (GET /v1/metrics?jobId=), the last 7 days' and the 7 before
 * (GET /v1/alerts), and the change in percentage points. Providers as GET /v1/alerts lists them; without it, the job's.
 */
function trendLines(job: Metrics, a: Alerts | undefined): Cell[][] {
  const jobRate = (id: string) => job.providers.find((p) => p.provider === id)?.matchRate;
  const providers = a
    ? a.providers.map((p) => ({ id: p.provider, label: p.label, week: p.matchRate.thisWeek, before: p.matchRate.lastWeek }))
    : job.providers.map((p) => ({ id: p.provider, label: p.label, week: null, before: null }));
  return [
    ['Match rate by provider'],
    ['Provider', 'This job', 'Last 7 days', '7 days before', 'Change', ''],
    ...providers.slice(0, MAX_PROVIDERS).map((p) => {
      const change = diff(p.week, p.before);
      return sideBySide(p.label, { job: jobRate(p.id), week: p.week, before: p.before, change: change === null ? null : change * 100 }, true, 2);
    }),
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

/** 0-based rows of a totals line, by its label. */
const totalsRow = (label: (typeof TOTALS)[number]): [number, number] => {
  const r = TOTALS_SECTION + 1 + TOTALS.indexOf(label);
  return [r, r + 1];
};
/** 0-based rows of the providers' match-rate lines. */
const TREND_ROWS: [number, number] = [TREND_SECTION + 1, DAILY_SECTION - 1];
/** 0-based columns of the side-by-side blocks. */
const C = { job: SIDE.job - 1, week: SIDE.week - 1, change: SIDE.change - 1, word: SIDE.word - 1 };

/**
 * A change's pattern: an arrow and a sign before the figure (▲ +$0.30, ▼ -12), and a third section for none
 * (= $0.00). The colour is the conditional format's (changeColours), since whether up is good depends on the line.
 */
const arrows = (figure: string, suffix = '') => `"▲ "+${figure}${suffix};"▼ "-${figure}${suffix};"= "${figure}${suffix}`;

/** Rows and columns 0-based, end exclusive. */
interface GridRange {
  sheetId: number;
  startRowIndex: number;
  endRowIndex: number;
  startColumnIndex: number;
  endColumnIndex: number;
}

const GREEN = { red: 0.094, green: 0.502, blue: 0.22 };
const RED = { red: 0.851, green: 0.188, blue: 0.145 };

/**
 * The change's colour, by conditional format: green where the figure moved the good way (matches or a match rate
 * up; spend or a cost per match down), red the other; the word beside it likewise.
 */
function changeColours(sheetId: number) {
  const cell = ([start, end]: [number, number], col: number): GridRange => ({
    sheetId,
    startRowIndex: start,
    endRowIndex: end,
    startColumnIndex: col,
    endColumnIndex: col + 1,
  });
  const upGood = [cell(totalsRow('Matches'), C.change), cell(TREND_ROWS, C.change)];
  const downGood = [cell(totalsRow('Spend'), C.change), cell([totalsRow('Cost per match')[0], totalsRow('Cost per verified match')[1]], C.change)];
  const words = [cell([TOTALS_SECTION + 1, TOTALS_SECTION + 1 + TOTALS.length], C.word), cell(TREND_ROWS, C.word)];
  const rule = (ranges: GridRange[], type: string, value: string, colour: typeof GREEN) => ({
    addConditionalFormatRule: {
      rule: {
        ranges,
        booleanRule: { condition: { type, values: [{ userEnteredValue: value }] }, format: { textFormat: { foregroundColor: colour, bold: true } } },
      },
    },
  });
  return [
    rule(upGood, 'NUMBER_GREATER', '0', GREEN),
    rule(upGood, 'NUMBER_LESS', '0', RED),
    rule(downGood, 'NUMBER_LESS', '0', GREEN),
    rule(downGood, 'NUMBER_GREATER', '0', RED),
    rule(words, 'TEXT_EQ', 'better', GREEN),
    rule(words, 'TEXT_EQ', 'worse', RED),
  ];
}

/** Creates the tab, its number formats, the change's colours and the three charts in one request. */
export function dashboardSetup(sheetId: number) {
  const side = (label: (typeof TOTALS)[number], pattern: string, change?: string) => [
    numberFormat(sheetId, C.job, pattern.includes('$') ? 'CURRENCY' : 'NUMBER', pattern, totalsRow(label), 3),
    ...(change ? [numberFormat(sheetId, C.change, change.includes('$') ? 'CURRENCY' : 'NUMBER', change, totalsRow(label))] : []),
  ];
  return [
    { addSheet: { properties: { sheetId, title: DASHBOARD_TITLE, gridProperties: { rowCount: DASHBOARD_ROWS + 10, columnCount: COLS + 10 } } } },
    // The provider tables of the job and the last 7 days.
    numberFormat(sheetId, 1, 'PERCENT', '0.0%'),
    numberFormat(sheetId, 2, 'NUMBER', '#,##0" ms"'),
    numberFormat(sheetId, 3, 'CURRENCY', '$0.0000'),
    numberFormat(sheetId, 3, 'DATE_TIME', 'yyyy-mm-dd hh:mm', [1, 2]),
    // The totals: this job, the last 7 days and the 7 before as figures, the change with its arrow.
    ...side('Rows', '#,##0'),
    ...side('Spend', '$#,##0.00', arrows('$#,##0.00')),
    ...side('Matches', '#,##0', arrows('#,##0')),
    ...side('Cost per match', '$0.0000', arrows('$0.0000')),
    ...side('Cost per verified match', '$0.0000', arrows('$0.0000')),
    ...side('Saved by the cache', '$#,##0.00'),
    // The funnel: counts and shares of its stages, then spend and cost per qualified lead (0-based rows).
    numberFormat(sheetId, 1, 'NUMBER', '#,##0', [FUNNEL_SECTION + 1, FUNNEL_SECTION + 1 + FUNNEL_STAGES]),
    numberFormat(sheetId, 2, 'PERCENT', '0.0%', [FUNNEL_SECTION + 1, FUNNEL_SECTION + 1 + FUNNEL_STAGES]),
    numberFormat(sheetId, 1, 'CURRENCY', '$#,##0.00', [FUNNEL_SECTION + 1 + FUNNEL_STAGES, FUNNEL_SECTION + 2 + FUNNEL_STAGES]),
    numberFormat(sheetId, 1, 'CURRENCY', '$0.0000', [FUNNEL_SECTION + 2 + FUNNEL_STAGES, FUNNEL_SECTION + FUNNEL_ROWS - 1]),
    // Match rates by provider: this job, the last 7 days and the 7 before, then the change in points (the cell holds
    // the change ×100 already: a PERCENT pattern without % would not scale it).
    numberFormat(sheetId, C.job, 'PERCENT', '0.0%', TREND_ROWS, 3),
    numberFormat(sheetId, C.change, 'NUMBER', arrows('0.0', '" pts"'), TREND_ROWS),
    numberFormat(sheetId, 0, 'DATE', 'yyyy-mm-dd', [DAILY_SECTION + 1, DASHBOARD_ROWS]),
    numberFormat(sheetId, 1, 'PERCENT', '0.0%', [DAILY_SECTION + 1, DASHBOARD_ROWS], DAILY_PROVIDERS),
    ...changeColours(sheetId),
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
