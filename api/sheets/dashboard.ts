import type { Metrics, ProviderMetrics } from '../../shared/index.js';

export const DASHBOARD_TITLE = 'Cascade dashboard';
export const DASHBOARD_MARKER = 'cascade.dashboard';

const HEADER = ['Provider', 'Match rate', 'p95 latency (ms)', 'Cost per match (USD)', 'Calls', '429s', 'Errors'];
const COLS = HEADER.length;
export const MAX_PROVIDERS = 20;
/** 1-based first row of each section's title; then a header row, a totals row and one row per provider. */
export const JOB_SECTION = 4;
export const WEEK_SECTION = JOB_SECTION + MAX_PROVIDERS + 4;
export const DASHBOARD_ROWS = WEEK_SECTION + MAX_PROVIDERS + 2;

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
export function dashboardValues(jobId: string, job: Metrics, week: Metrics, now: number): Cell[][] {
  const rows: Cell[][] = Array.from({ length: DASHBOARD_ROWS }, () => new Array<Cell>(COLS).fill(''));
  const put = (row: number, lines: Cell[][]) => lines.forEach((l, i) => l.forEach((v, j) => (rows[row - 1 + i]![j] = v)));
  put(1, [['Cascade dashboard'], ['Job', jobId, 'Updated', new Date(now).toISOString()]]);
  put(JOB_SECTION, section(`This job (calls since ${job.since.slice(0, 10)})`, job));
  put(WEEK_SECTION, section('Last 7 days, all jobs of the workspace', week));
  return rows;
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

function numberFormat(sheetId: number, col: number, type: string, pattern: string) {
  return {
    repeatCell: {
      range: { sheetId, startRowIndex: JOB_SECTION + 1, endRowIndex: DASHBOARD_ROWS, startColumnIndex: col, endColumnIndex: col + 1 },
      cell: { userEnteredFormat: { numberFormat: { type, pattern } } },
      fields: 'userEnteredFormat.numberFormat',
    },
  };
}

/** Creates the tab, its number formats and the two charts (over this job's provider rows) in one request. */
export function dashboardSetup(sheetId: number) {
  return [
    { addSheet: { properties: { sheetId, title: DASHBOARD_TITLE, gridProperties: { rowCount: DASHBOARD_ROWS + 10, columnCount: COLS + 10 } } } },
    numberFormat(sheetId, 1, 'PERCENT', '0.0%'),
    numberFormat(sheetId, 3, 'CURRENCY', '$0.0000'),
    chart(sheetId, 'Match rate by provider (this job)', 'Match rate', 1, JOB_SECTION - 1),
    chart(sheetId, 'Cost per match by provider (this job)', 'USD per match', 3, JOB_SECTION + 16),
    { createDeveloperMetadata: { developerMetadata: { metadataKey: DASHBOARD_MARKER, metadataValue: 'v1', location: { sheetId }, visibility: 'DOCUMENT' } } },
  ];
}
