import { describe, expect, it } from 'vitest';
import type { LeadFunnel, Metrics } from '../../shared/index.js';
import { DASHBOARD_ROWS, FUNNEL_SECTION, JOB_SECTION, dashboardSetup, dashboardValues, funnelLines } from './dashboard.js';

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
    const values = dashboardValues('job_1', metrics(funnel), metrics(), Date.UTC(2026, 0, 2));
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
    const values = dashboardValues('job_2', metrics(), metrics(), Date.UTC(2026, 0, 2));
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
