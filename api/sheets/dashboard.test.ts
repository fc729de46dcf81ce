import { describe, expect, it } from 'vitest';
import type { Alerts, WeekFigures } from '../../shared/alerts.js';
import type { LeadFunnel, Metrics } from '../../shared/index.js';
import {
  DASHBOARD_ROWS,
  FUNNEL_SECTION,
  JOB_SECTION,
  TOTALS,
  TOTALS_SECTION,
  TREND_SECTION,
  dashboardSetup,
  dashboardValues,
  funnelLines,
} from './dashboard.js';

const totals = {
  calls: 0,
  paidCalls: 0,
  matches: 0,
  noMatches: 0,
  matchRate: null,
  p50Ms: null,
  p95Ms: null,
  costUsd: 0,
  costPerMatch: null,
  rateLimited: 0,
  errors: 0,
  cacheHits: 0,
  savedUsd: 0,
  predictedMatches: 0,
  predictedCostUsd: 0,
};
const metrics = (funnel?: LeadFunnel): Metrics => ({
  window: '7d',
  since: '2026-01-01T00:00:00.000Z',
  providers: [],
  totals,
  ...(funnel ? { funnel } : {}),
});
const funnel: LeadFunnel = {
  rows: 200,
  enriched: 190,
  aboveFloor: 80,
  minScore: 50,
  qualified: 30,
  delivered: 28,
  costUsd: 3.6,
  costPerQualifiedUsd: 0.12,
};
/** Rows `from`–`to` (1-based, inclusive) of the tab. */
const block = (values: (string | number)[][], from: number, to: number) => values.slice(from - 1, to);

describe('the dashboard’s lead funnel', () => {
  it('lists the five stages with their counts and shares of rows, the spend and the cost per qualified lead', () => {
    const values = dashboardValues({ jobId: 'job_1', rows: 200, job: metrics(funnel), week: metrics(), now: Date.UTC(2026, 0, 2) });
    expect(values).toHaveLength(DASHBOARD_ROWS);
    expect(block(values, FUNNEL_SECTION, FUNNEL_SECTION + 8).map((r) => r.slice(0, 3))).toEqual([
      ['Lead funnel', '', ''],
      ['Stage', 'Leads', 'Share of rows'],
      ['Rows', 200, 1],
      ['Enriched', 190, 0.95],
      ['Scored 50 or more', 80, 0.4],
      ['Qualified by the model', 30, 0.15],
      ['Delivered to the CRM', 28, 0.14],
      ['Spend (enrichment and model)', 3.6, ''],
      ['Cost per qualified lead', 0.12, ''],
    ]);
    // A blank row, then the job's provider figures.
    expect(values[FUNNEL_SECTION + 8]!.every((v) => v === '')).toBe(true);
    expect(values[JOB_SECTION - 1]![0]).toBe('This job');
  });

  it('leaves shares and the cost per qualified lead blank when there is nothing to divide by, and names a missing floor', () => {
    const none = funnelLines({ ...funnel, rows: 0, enriched: 0, aboveFloor: 0, qualified: 0, delivered: 0, minScore: null, costPerQualifiedUsd: null });
    expect(none.slice(2, 7).map((l) => l[2])).toEqual(['', '', '', '', '']);
    expect(none[4]![0]).toBe('Scored (no floor)');
    expect(none[8]).toEqual(['Cost per qualified lead', '']);
  });

  it('blanks the whole block for a job that is not a job of leads, so a lead job’s funnel is cleared by the next job', () => {
    const values = dashboardValues({ jobId: 'job_2', rows: 10, job: metrics(), week: metrics(), now: Date.UTC(2026, 0, 2) });
    expect(
      block(values, FUNNEL_SECTION, JOB_SECTION - 1)
        .flat()
        .every((v) => v === ''),
    ).toBe(true);
  });

  it('formats its counts, shares and money within its own rows, and nothing of it spills into the job section', () => {
    const formats = dashboardSetup(1).flatMap((r) => ('repeatCell' in r ? [r.repeatCell] : []));
    // The pattern of a cell, 1-based as the tab shows it; the last request that covers it wins.
    const covers = (start: number, end: number, at: number) => start <= at - 1 && at - 1 < end;
    const patternAt = (row: number, col: number) =>
      formats.filter(({ range: r }) => covers(r.startRowIndex, r.endRowIndex, row) && covers(r.startColumnIndex, r.endColumnIndex, col)).at(-1)?.cell
        .userEnteredFormat.numberFormat.pattern;
    for (let stage = 0; stage < 5; stage++) {
      expect(patternAt(FUNNEL_SECTION + 2 + stage, 2)).toBe('#,##0');
      expect(patternAt(FUNNEL_SECTION + 2 + stage, 3)).toBe('0.0%');
    }
    expect(patternAt(FUNNEL_SECTION + 7, 2)).toBe('$#,##0.00');
    expect(patternAt(FUNNEL_SECTION + 8, 2)).toBe('$0.0000');
    expect(patternAt(FUNNEL_SECTION + 1, 2)).toBeUndefined();
    expect(patternAt(FUNNEL_SECTION + 9, 2)).toBeUndefined();
    // The job section's match rate keeps its percent format.
    expect(patternAt(JOB_SECTION + 2, 2)).toBe('0.0%');
  });
});

const provider = (id: string, label: string, matchRate: number | null) => ({
  ...totals,
  provider: id,
  label,
  demo: false,
  matchRate,
  predictedMatches: undefined,
  predictedCostUsd: undefined,
});
const week = (w: Partial<WeekFigures>): WeekFigures => ({
  since: '2026-01-01T00:00:00.000Z',
  costUsd: 0,
  matches: 0,
  verifiedMatches: 0,
  costPerMatch: null,
  costPerVerifiedMatch: null,
  ...w,
});
const jobMetrics: Metrics = {
  ...metrics(),
  jobId: 'job_3',
  providers: [provider('firmo', 'Firmo', 0.8), provider('people', 'People Finder', 0.5)],
  totals: { ...totals, costUsd: 1.5, matches: 30, costPerMatch: 0.05, savedUsd: 0.4 },
};
const weekMetrics: Metrics = { ...metrics(), totals: { ...totals, costUsd: 12.345, matches: 200, costPerMatch: 0.061725, savedUsd: 2.5 } };
const alerts: Alerts = {
  asOf: '2026-01-08T00:00:00.000Z',
  alerts: [],
  totals: {
    thisWeek: week({ costUsd: 12.345, matches: 200, verifiedMatches: 150, costPerMatch: 0.061725, costPerVerifiedMatch: 0.0823 }),
    lastWeek: week({ costUsd: 10, matches: 220, verifiedMatches: 100, costPerMatch: 10 / 220, costPerVerifiedMatch: 0.1 }),
  },
  providers: [
    { provider: 'people', label: 'People Finder', matchRate: { thisWeek: 0.52, lastWeek: 0.66 }, p95Ms: { current: null, baseline: null }, daily: [] },
    { provider: 'firmo', label: 'Firmo', matchRate: { thisWeek: 0.81, lastWeek: 0.8 }, p95Ms: { current: null, baseline: null }, daily: [] },
    { provider: 'fresh', label: 'Fresh Data', matchRate: { thisWeek: 0.9, lastWeek: null }, p95Ms: { current: null, baseline: null }, daily: [] },
  ],
};
const side = (values: (string | number)[][], from: number, to: number) => block(values, from, to).map((r) => r.slice(0, 6));

describe('the dashboard’s totals and week over week', () => {
  const values = dashboardValues({ jobId: 'job_3', rows: 147, job: jobMetrics, week: weekMetrics, alerts, now: Date.UTC(2026, 0, 8) });

  it('puts this job and the last 7 days side by side, then the 7 days before and the change, as numbers', () => {
    expect(side(values, TOTALS_SECTION, TOTALS_SECTION + 1 + TOTALS.length)).toEqual([
      ['Totals', '', '', '', '', ''],
      ['', 'This job', 'Last 7 days', '7 days before', 'Change', ''],
      ['Rows', 147, '', '', '', ''],
      ['Spend', 1.5, 12.345, 10, 2.345, 'worse'],
      ['Matches', 30, 200, 220, -20, 'worse'],
      ['Cost per match', 0.05, 0.061725, 10 / 220, 0.01627, 'worse'],
      // The API gives cost per verified match per week, not per job.
      ['Cost per verified match', '', 0.0823, 0.1, -0.0177, 'better'],
      // Last week's savings are not kept: no change.
      ['Saved by the cache', 0.4, 2.5, '', '', ''],
    ]);
    // A blank line, then the funnel's block.
    expect(values[TOTALS_SECTION + 1 + TOTALS.length]!.every((v) => v === '')).toBe(true);
    expect(FUNNEL_SECTION).toBe(TOTALS_SECTION + 3 + TOTALS.length);
  });

  it('lists each provider’s match rate for the job and both weeks, the change in points', () => {
    expect(side(values, TREND_SECTION, TREND_SECTION + 4)).toEqual([
      ['Match rate by provider', '', '', '', '', ''],
      ['Provider', 'This job', 'Last 7 days', '7 days before', 'Change', ''],
      ['People Finder', 0.5, 0.52, 0.66, -14, 'worse'],
      ['Firmo', 0.8, 0.81, 0.8, 1, 'better'],
      // New this week, and not in this job: nothing to compare.
      ['Fresh Data', '', 0.9, '', '', ''],
    ]);
  });

  it('without GET /v1/alerts shows the job’s and the last 7 days’ figures, and no change', () => {
    const plain = dashboardValues({ jobId: 'job_3', rows: null, job: jobMetrics, week: weekMetrics, now: Date.UTC(2026, 0, 8) });
    expect(side(plain, TOTALS_SECTION + 2, TOTALS_SECTION + 4)).toEqual([
      ['Rows', '', '', '', '', ''],
      ['Spend', 1.5, 12.345, '', '', ''],
      ['Matches', 30, 200, '', '', ''],
    ]);
    expect(side(plain, TREND_SECTION + 2, TREND_SECTION + 3)).toEqual([
      ['Firmo', 0.8, '', '', '', ''],
      ['People Finder', 0.5, '', '', '', ''],
    ]);
  });

  const requests = dashboardSetup(1);
  const formats = requests.flatMap((r) => ('repeatCell' in r ? [r.repeatCell] : []));
  const covers = (start: number, end: number, at: number) => start <= at - 1 && at - 1 < end;
  const patternAt = (row: number, col: number) =>
    formats.filter(({ range: r }) => covers(r.startRowIndex, r.endRowIndex, row) && covers(r.startColumnIndex, r.endColumnIndex, col)).at(-1)?.cell
      .userEnteredFormat.numberFormat.pattern;

  it('formats each figure as what it is, and each change with an arrow and its sign', () => {
    const line = (label: (typeof TOTALS)[number]) => TOTALS_SECTION + 2 + TOTALS.indexOf(label);
    expect([2, 3, 4, 5].map((c) => patternAt(line('Rows'), c))).toEqual(['#,##0', '#,##0', '#,##0', undefined]);
    expect([2, 3, 4].map((c) => patternAt(line('Spend'), c))).toEqual(['$#,##0.00', '$#,##0.00', '$#,##0.00']);
    expect(patternAt(line('Spend'), 5)).toBe('"▲ "+$#,##0.00;"▼ "-$#,##0.00;"= "$#,##0.00');
    expect(patternAt(line('Matches'), 5)).toBe('"▲ "+#,##0;"▼ "-#,##0;"= "#,##0');
    expect(patternAt(line('Cost per match'), 3)).toBe('$0.0000');
    expect(patternAt(line('Cost per verified match'), 5)).toBe('"▲ "+$0.0000;"▼ "-$0.0000;"= "$0.0000');
    expect(patternAt(line('Saved by the cache'), 2)).toBe('$#,##0.00');
    expect(patternAt(line('Saved by the cache'), 5)).toBeUndefined();
    for (const c of [2, 3, 4]) expect(patternAt(TREND_SECTION + 2, c)).toBe('0.0%');
    expect(patternAt(TREND_SECTION + 2, 5)).toBe('"▲ "+0.0" pts";"▼ "-0.0" pts";"= "0.0" pts"');
    // The provider tables below keep theirs.
    expect(patternAt(JOB_SECTION + 2, 2)).toBe('0.0%');
    expect(patternAt(JOB_SECTION + 2, 4)).toBe('$0.0000');
  });

  it('colours each change green the good way and red the other, by conditional format', () => {
    const rules = requests.flatMap((r) => ('addConditionalFormatRule' in r ? [r.addConditionalFormatRule.rule] : []));
    /** The colour a value in a cell (1-based) gets: the first rule whose range covers it and whose condition holds. */
    const colourAt = (row: number, col: number, v: number | string) => {
      const rule = rules.find(
        (r) =>
          r.ranges.some((g) => covers(g.startRowIndex, g.endRowIndex, row) && covers(g.startColumnIndex, g.endColumnIndex, col)) &&
          ((c) =>
            c.type === 'NUMBER_GREATER'
              ? typeof v === 'number' && v > Number(c.values[0]!.userEnteredValue)
              : c.type === 'NUMBER_LESS'
                ? typeof v === 'number' && v < Number(c.values[0]!.userEnteredValue)
                : v === c.values[0]!.userEnteredValue)(r.booleanRule.condition),
      );
      const c = rule?.booleanRule.format.textFormat.foregroundColor;
      return c === undefined ? null : c.green > c.red ? 'green' : 'red';
    };
    // Every line with a change: its value's colour as the values above give them, and the word's the same.
    for (let row = TOTALS_SECTION + 2; row < TOTALS_SECTION + 2 + TOTALS.length; row++) {
      const [, , , , change, word] = values[row - 1]!;
      const expected = word === 'better' ? 'green' : word === 'worse' ? 'red' : null;
      expect(colourAt(row, 5, change!), String(values[row - 1]![0])).toBe(expected);
      expect(colourAt(row, 6, word!)).toBe(expected);
    }
    expect(colourAt(TREND_SECTION + 2, 5, -14)).toBe('red');
    expect(colourAt(TREND_SECTION + 3, 5, 1)).toBe('green');
    expect(colourAt(TREND_SECTION + 2, 6, 'worse')).toBe('red');
    // Spend up is worse, matches up better; none colours a cell outside the changes.
    expect(colourAt(TOTALS_SECTION + 3, 5, 5)).toBe('red');
    expect(colourAt(TOTALS_SECTION + 4, 5, 5)).toBe('green');
    expect(colourAt(TOTALS_SECTION + 3, 4, 5)).toBeNull();
    expect(colourAt(JOB_SECTION + 2, 5, 5)).toBeNull();
  });
});
