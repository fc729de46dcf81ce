import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SheetsRequestLog } from '../google/sheets/index.js';
import {
  ALERTS_SECTION,
  DAILY_SECTION,
  DASHBOARD_MARKER,
  DASHBOARD_ROWS,
  DASHBOARD_TITLE,
  DASHBOARD_VERSION,
  FUNNEL_SECTION,
  JOB_SECTION,
  TOTALS,
  TOTALS_SECTION,
  TREND_SECTION,
  WEEK_SECTION,
  figureCells,
  funnelLines,
} from '../../api/sheets/dashboard.js';
import { domains } from '../helpers/harness.js';
import { startPipelineWorld } from '../helpers/pipelineWorld.js';
import { leadsTab, sheetRows, startSheetsHarness, type SheetsHarness } from './harness.js';

let h: SheetsHarness;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await h?.stop();
  for (const c of closers.splice(0)) await c();
});

const TOKEN = 'ya29.test-token-alice';
const FRESH = 'ya29.fresh-token-alice';
const capital = (domain: string) => domain.charAt(0).toUpperCase() + domain.slice(1, domain.indexOf('.'));

async function submit(body: Record<string, unknown>) {
  const res = await h.api('/v1/jobs', { body });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

const sheetTarget = (extra: Record<string, unknown> = {}) => ({ spreadsheetId: 'book1', sheetName: 'Leads', statusColumn: 'Status', ...extra });

/** How many accepted write requests carried each row anchor. */
function writesPerRow(log: SheetsRequestLog[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const r of log) if (r.status === 200) for (const a of r.anchors ?? []) n.set(a, (n.get(a) ?? 0) + 1);
  return n;
}

/** Every data row's company name belongs to the domain in column A of the same row, or is empty. */
function expectOwnResults(domainsInSheet: (string | number | boolean | undefined)[][], names: (string | number | boolean | undefined)[][]) {
  domainsInSheet.forEach(([d], i) => {
    const name = names[i]?.[0];
    if (d === undefined) expect(name).toBeUndefined();
    else if (name !== undefined) expect(name).toBe(capital(String(d)));
  });
}

describe('what is written', () => {
  it('writes each field into its column and the status into the status column, through 503s', async () => {
    h = await startSheetsHarness({ providers: [{ id: 'p', fields: ['company.name', 'company.employees'] }] });
    const list = domains(30);
    h.sheets.model.create('book1', [{ title: 'Leads', values: leadsTab(list, ['Domain', 'Notes']) }]);
    h.sheets.auth.grant(TOKEN, 'alice');
    h.sheets.failNextWrites(2, 503);
    const id = await submit({
      fields: ['company.name', 'company.employees'],
      rows: [...sheetRows(list), { key: '40', input: { domain: 'not a domain' } }],
      sheet: sheetTarget({ columns: { 'company.name': 'D' } }),
      googleAccessToken: TOKEN,
    });
    const view = await h.waitForSheet(id);
    expect(view.sheet).toMatchObject({ state: 'done', written: 31, pendingWrite: 0, orphaned: 0, lastError: null });
    const tab = h.sheets.model.sheet('book1', 'Leads');
    // D by letter (header filled in), the rest created after the last used column with their headers.
    expect(tab.values(1, 1, 1, 6)[0]).toEqual(['Domain', 'Notes', undefined, 'Company name', 'Employees', 'Status']);
    expect(tab.value(2, 4)).toBe('Lead0');
    expect(typeof tab.value(2, 5)).toBe('number');
    expect(tab.value(2, 6)).toBe('matched');
    // Columns the job does not own are untouched.
    expect(tab.value(2, 2)).toBeUndefined();
    // Row 40 was past the grid of 31 rows: grown first, then written.
    expect(tab.rowCount).toBeGreaterThanOrEqual(40);
    expect(String(tab.value(40, 6))).toMatch(/^invalid input · domain: /);
    expect(tab.conditionalFormats).toHaveLength(4);
    expect(h.sheets.requests.filter((r) => r.status === 503)).toHaveLength(2);
  });

  it('writes a provider answer that looks like a formula as text, never as a formula', async () => {
    const nasty = ['=HYPERLINK("http://evil.example","click")', '+1 555 0100', '-2+3', '@SUM(A1)'];
    const evil = createServer((req, res) => {
      const i = Number(/lead(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { name: nasty[i % nasty.length] } }));
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => evil.close(() => r())));
    const url = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
    h = await startSheetsHarness({
      providers: [],
      config: () => ({
        providers: [
          {
            id: 'evil',
            kind: 'http',
            input: 'domain',
            fields: ['company.name'],
            request: { url: `${url}/?q={{domain}}` },
            response: { map: { 'company.name': '/data/name' } },
          },
        ],
        engine: { retryDelaysMs: [20], pollMs: 20, leaseMs: 1500 },
      }),
    });
    const list = domains(8);
    h.sheets.model.create('book1', [{ title: 'Leads', values: leadsTab(list) }]);
    h.sheets.auth.grant(TOKEN, 'alice');
    await h.waitForSheet(await submit({ fields: ['company.name'], rows: sheetRows(list), sheet: sheetTarget(), googleAccessToken: TOKEN }));
    const tab = h.sheets.model.sheet('book1', 'Leads');
    for (let i = 0; i < list.length; i++) {
      const cell = tab.cell(i + 2, 2);
      expect(cell).toEqual({ value: nasty[i % nasty.length] });
      expect(cell?.formula).toBeUndefined();
    }
  });

  it('refuses a sheet job whose keys are not row numbers, or that has no Google credential, saying where', async () => {
    h = await startSheetsHarness({ providers: [{ id: 'p', fields: ['company.name'] }] });
    const bad = await h.api('/v1/jobs', {
      body: { fields: ['company.name'], rows: [{ key: 'abc', input: { domain: 'a.com' } }], sheet: sheetTarget(), googleAccessToken: TOKEN },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.path).toBe('rows[0].key');
    const header = await h.api('/v1/jobs', {
      body: { fields: ['company.name'], rows: [{ key: '1', input: { domain: 'a.com' } }], sheet: sheetTarget(), googleAccessToken: TOKEN },
    });
    expect(header.body.error.path).toBe('rows[0].key');
    const noCred = await h.api('/v1/jobs', { body: { fields: ['company.name'], rows: [{ key: '2', input: { domain: 'a.com' } }], sheet: sheetTarget() } });
    expect(noCred.status).toBe(400);
    expect(noCred.body.error.path).toBe('googleAccessToken');
  });
});

describe('how it is written', () => {
  it('keeps a 20,000-row job within the per-user write quota, in few large requests', async () => {
    // One request per window: each request must reach Google a full window after the one before, though a write spends
    // a while reading its thousands of rows after its slot is given and an anchor request goes out at once. A scheduler
    // that counted a request when it gave the slot, not when the request went out, draws 429s here.
    const quota = { perUser: 1, perProject: 5, windowMs: 250 };
    h = await startSheetsHarness({
      providers: [{ id: 'p', fields: ['company.name'], concurrency: 64, behaviour: { latency: { medianMs: 2, sigma: 0.2 } } }],
      server: { writes: quota, reads: quota },
      sheets: {
        writesPerMinutePerUser: quota.perUser,
        writesPerMinutePerProject: quota.perProject,
        readsPerMinutePerUser: quota.perUser,
        readsPerMinutePerProject: quota.perProject,
        quotaWindowMs: quota.windowMs,
        minRowsPerRequest: 500,
        maxDelayMs: 60_000,
        dashboardEveryMs: 60_000,
      },
    });
    // 200 leads to enrich and 19,800 unreadable ones, flagged at submission: the write path gets 20,000 rows at once.
    const list = domains(20_000).map((d, i) => (i % 100 === 0 ? d : `not a domain ${i}`));
    h.sheets.model.create('book1', [{ title: 'Leads', values: leadsTab(list) }]);
    h.sheets.auth.grant(TOKEN, 'alice');
    const rows = sheetRows(list);
    const id = await submit({ fields: ['company.name'], rows: rows.slice(0, 5000), sheet: sheetTarget(), googleAccessToken: TOKEN });
    for (let i = 5000; i < rows.length; i += 5000) expect((await h.api(`/v1/jobs/${id}/rows`, { body: { rows: rows.slice(i, i + 5000) } })).status).toBe(202);
    const view = await h.waitForSheet(id);
    expect(view.counts).toMatchObject({ matched: 200, invalid_input: 19_800 });
    expect(view.sheet).toMatchObject({ written: 20_000, pendingWrite: 0 });
    const writes = h.sheets.requests.filter((r) => r.kind === 'write');
    expect(h.sheets.requests.filter((r) => r.status === 429)).toHaveLength(0);
    // Never more than the quota within any window.
    for (const w of writes) expect(writes.filter((x) => x.at >= w.at && x.at < w.at + quota.windowMs).length).toBeLessThanOrEqual(quota.perUser);
    expect(writesPerRow(h.sheets.requests).size).toBe(20_000);
    // Rows wait for a full request (500) or the job's end: 20,000 rows anchored and written in a dozen requests, not 20,000.
    expect(writes.length).toBeLessThan(20);
    const rowRequests = writes.filter((r) => r.anchors?.length);
    expect(20_000 / rowRequests.length).toBeGreaterThan(500);
    const tab = h.sheets.model.sheet('book1', 'Leads');
    expect(tab.value(2, 2)).toBe('Lead0');
    expect(String(tab.value(3, 3))).toMatch(/^invalid input · domain/);
  });

  it('pauses when the token expires mid-job and writes every row exactly once after a fresh token', async () => {
    h = await startSheetsHarness({
      providers: [{ id: 'p', fields: ['company.name'], behaviour: { concurrency: 4, latency: { medianMs: 4, sigma: 0.1 } } }],
      sheets: { minRowsPerRequest: 20, maxDelayMs: 50 },
    });
    const list = domains(600);
    h.sheets.model.create('book1', [{ title: 'Leads', values: leadsTab(list) }]);
    h.sheets.auth.grant(TOKEN, 'alice');
    const id = await submit({ fields: ['company.name'], rows: sheetRows(list), sheet: sheetTarget(), googleAccessToken: TOKEN });
    await h.waitForSheet(id, (v) => v.sheet.written > 0);
    h.sheets.auth.expire(TOKEN);
    const paused = await h.waitForSheet(id, (v) => v.status === 'done' && v.sheet.state === 'paused');
    expect(paused.sheet.lastError.code).toBe('google_unauthorized');
    expect(paused.sheet.pendingWrite).toBeGreaterThan(0);
    expect(JSON.stringify(paused)).not.toContain(TOKEN);

    h.sheets.auth.grant(FRESH, 'alice');
    const put = await h.api(`/v1/jobs/${id}/token`, { method: 'PUT', body: { accessToken: FRESH } });
    expect(put.status).toBe(200);
    expect(JSON.stringify(put.body)).not.toContain(FRESH);
    const done = await h.waitForSheet(id);
    expect(done.sheet).toMatchObject({ state: 'done', written: 600, pendingWrite: 0, lastError: null });
    const per = writesPerRow(h.sheets.requests);
    expect(per.size).toBe(600);
    expect([...per.values()].every((n) => n === 1)).toBe(true);
    const tab = h.sheets.model.sheet('book1', 'Leads');
    expectOwnResults(tab.values(2, 1, 601, 1), tab.values(2, 2, 601, 2));
    // The token never reached the database.
    const dump = await h.cascade.database.client.execute("SELECT group_concat(coalesce(last_error_message, '') || layout || columns) AS t FROM sheet_targets");
    expect(String(dump.rows[0]!.t)).not.toContain('ya29');
  });

  it('waits for a token after the API restarts, then writes the rest', async () => {
    h = await startSheetsHarness({
      providers: [{ id: 'p', fields: ['company.name'], behaviour: { concurrency: 2, latency: { medianMs: 5, sigma: 0.1 } } }],
      sheets: { minRowsPerRequest: 10 },
    });
    const list = domains(300);
    h.sheets.model.create('book1', [{ title: 'Leads', values: leadsTab(list) }]);
    h.sheets.auth.grant(TOKEN, 'alice');
    const id = await submit({ fields: ['company.name'], rows: sheetRows(list), sheet: sheetTarget(), googleAccessToken: TOKEN });
    await h.waitForSheet(id, (v) => v.sheet.written > 0);
    await h.restart();
    const waiting = await h.waitForSheet(id, (v) => v.status === 'done' && v.sheet.state === 'paused');
    expect(waiting.sheet.lastError.code).toBe('google_unauthorized');
    await h.api(`/v1/jobs/${id}/token`, { method: 'PUT', body: { accessToken: TOKEN } });
    const done = await h.waitForSheet(id);
    expect(done.sheet).toMatchObject({ written: 300, pendingWrite: 0 });
    const tab = h.sheets.model.sheet('book1', 'Leads');
    expect(tab.values(2, 2, 301, 2).every(([v]) => typeof v === 'string')).toBe(true);
  });

  it('follows rows the user sorts and inserts mid-job, and reports a deleted row orphaned', async () => {
    h = await startSheetsHarness({
      providers: [{ id: 'p', fields: ['company.name'], behaviour: { concurrency: 2, latency: { medianMs: 8, sigma: 0.1 } } }],
      sheets: { minRowsPerRequest: 10, maxDelayMs: 50 },
    });
    const list = domains(300);
    h.sheets.model.create('book1', [{ title: 'Leads', values: leadsTab(list) }]);
    h.sheets.auth.grant(TOKEN, 'alice');
    const id = await submit({ fields: ['company.name'], rows: sheetRows(list), sheet: sheetTarget(), googleAccessToken: TOKEN });
    const mid = await h.waitForSheet(id, (v) => v.sheet.written > 0);
    expect(mid.status).toBe('running');
    const tab = h.sheets.model.sheet('book1', 'Leads');
    // The user sorts the data descending, inserts two rows at the top, and deletes the row of the last lead.
    tab.sortRows(2, 301, 1, true);
    tab.insertRows(2, 2);
    const last = tab.values(1, 1, tab.rowCount, 1).findIndex(([d]) => d === 'lead299.com') + 1;
    tab.deleteRows(last, 1);
    const done = await h.waitForSheet(id);
    expect(done.sheet).toMatchObject({ written: 299, orphaned: 1, pendingWrite: 0 });
    const rows = tab.values(2, 1, 302, 2);
    expectOwnResults(
      rows.map((r) => [r[0]]),
      rows.map((r) => [r[1]]),
    );
    expect(rows.filter(([d, name]) => d !== undefined && name !== undefined)).toHaveLength(299);
    expect(tab.values(2, 2, 3, 3)).toEqual([
      [undefined, undefined],
      [undefined, undefined],
    ]);
  });
});

describe('the dashboard tab', () => {
  it('shows the same figures as GET /v1/metrics, for the job and the last 7 days, with two charts', async () => {
    h = await startSheetsHarness({
      providers: [
        { id: 'cheap', fields: ['company.name'], costPerCall: 0.01, behaviour: { matchRate: { '*': 0.5 } } },
        { id: 'dear', fields: ['company.name'], costPerCall: 0.05, behaviour: { matchRate: { '*': 0.9 } } },
      ],
    });
    const list = domains(120);
    h.sheets.model.create('book1', [{ title: 'Leads', values: leadsTab(list) }]);
    h.sheets.auth.grant(TOKEN, 'alice');
    const id = await submit({ fields: ['company.name'], rows: sheetRows(list), sheet: sheetTarget(), googleAccessToken: TOKEN });
    await h.waitForSheet(id);
    const job = (await h.api(`/v1/metrics?jobId=${id}`)).body;
    const week = (await h.api('/v1/metrics?window=7d')).body;
    const dash = h.sheets.model.sheet('book1', DASHBOARD_TITLE);
    const blank = (r: (string | number)[]) => r.map((v) => (v === '' ? undefined : v));
    const section = (row: number, m: any) => {
      expect(dash.values(row + 2, 1, row + 2, 7)[0]).toEqual(blank(figureCells('All providers', m.totals)));
      for (const [i, p] of m.providers.entries()) expect(dash.values(row + 3 + i, 1, row + 3 + i, 7)[0]).toEqual(blank(figureCells(p.label, p)));
    };
    section(JOB_SECTION, job);
    section(WEEK_SECTION, week);
    // Not a job of leads: no funnel, and its block is left blank.
    expect(job).not.toHaveProperty('funnel');
    expect(
      dash
        .values(FUNNEL_SECTION, 1, JOB_SECTION - 1, 7)
        .flat()
        .filter((v) => v !== undefined),
    ).toEqual([]);
    expect(job.totals.calls).toBeGreaterThan(0);
    expect(dash.value(JOB_SECTION + 3, 1)).toBeDefined();
    // The alerts at the top, in plain words, as GET /v1/alerts gives them.
    const alerts = (await h.api('/v1/alerts')).body;
    expect(dash.value(ALERTS_SECTION, 1)).toBe('Alerts');
    expect(dash.value(ALERTS_SECTION + 1, 1)).toBe('None: every provider is within its usual match rate and latency.');
    // The totals: this job (its rows as GET /v1/jobs/{id} counts them, the rest GET /v1/metrics?jobId=) beside the
    // last 7 days (GET /v1/metrics?window=7d), the 7 days before (GET /v1/alerts) and the change, every one a number.
    const view = (await h.api(`/v1/jobs/${id}`)).body;
    const { thisWeek, lastWeek } = alerts.totals;
    const change = (a: number | null, b: number | null) => (a === null || b === null ? undefined : Math.round((a - b) * 1e6) / 1e6);
    const totals = dash.values(TOTALS_SECTION + 1, 1, TOTALS_SECTION + 1 + TOTALS.length, 5);
    expect(totals).toEqual([
      [undefined, 'This job', 'Last 7 days', '7 days before', 'Change'],
      ['Rows', view.counts.total, undefined, undefined, undefined],
      ['Spend', job.totals.costUsd, week.totals.costUsd, lastWeek.costUsd, change(thisWeek.costUsd, lastWeek.costUsd)],
      ['Matches', job.totals.matches, week.totals.matches, lastWeek.matches, change(week.totals.matches, lastWeek.matches)],
      [
        'Cost per match',
        job.totals.costPerMatch,
        week.totals.costPerMatch,
        lastWeek.costPerMatch ?? undefined,
        change(week.totals.costPerMatch, lastWeek.costPerMatch),
      ],
      [
        'Cost per verified match',
        undefined,
        thisWeek.costPerVerifiedMatch ?? undefined,
        lastWeek.costPerVerifiedMatch ?? undefined,
        change(thisWeek.costPerVerifiedMatch, lastWeek.costPerVerifiedMatch),
      ],
      ['Saved by the cache', job.totals.savedUsd, week.totals.savedUsd, undefined, undefined],
    ]);
    expect(view.counts.total).toBe(120);
    // A first week: nothing the week before to compare spend with but zero, so the change is this week's spend, up.
    expect(lastWeek.costUsd).toBe(0);
    expect(dash.values(TOTALS_SECTION + 3, 5, TOTALS_SECTION + 3, 6)[0]).toEqual([thisWeek.costUsd, 'worse']);
    // Each provider's match rate: this job's and the last 7 days', as GET /v1/metrics and GET /v1/alerts give them.
    for (const [i, p] of alerts.providers.entries()) {
      const mine = job.providers.find((x: any) => x.provider === p.provider);
      expect(dash.values(TREND_SECTION + 2 + i, 1, TREND_SECTION + 2 + i, 4)[0]).toEqual([
        p.label,
        mine.matchRate ?? undefined,
        p.matchRate.thisWeek ?? undefined,
        p.matchRate.lastWeek ?? undefined,
      ]);
    }
    expect(dash.value(DAILY_SECTION + 1, 2)).toBe(alerts.providers[0].label);
    expect(dash.value(DASHBOARD_ROWS - 1, 2)).toBe(alerts.providers[0].daily.at(-1).matchRate);
    expect(dash.charts).toHaveLength(3);
    // The changes' colours went to Google as conditional formats of the tab (api/sheets/dashboard.test.ts checks which).
    expect(dash.conditionalFormats).toHaveLength(6);
  });

  it('shows a job of leads its funnel, as GET /v1/metrics gives it: each stage with its share of rows, and cost per qualified lead', async () => {
    const world = await startPipelineWorld();
    closers.push(() => world.close());
    // The pipeline's world: its provider, model, CRM and webhook receiver (the sheet has no emails: the webhook delivers).
    h = await startSheetsHarness({ providers: [], config: () => world.config(), env: world.env });
    const list = domains(40);
    h.sheets.model.create('book1', [{ title: 'Leads', values: leadsTab(list) }]);
    h.sheets.auth.grant(TOKEN, 'alice');
    const id = await submit({
      fields: ['company.name', 'lead.score', 'lead.qualified'],
      rows: sheetRows(list),
      sheet: sheetTarget(),
      googleAccessToken: TOKEN,
      pipeline: { deliver: true },
    });
    await h.waitForSheet(id);
    const { funnel } = (await h.api(`/v1/metrics?jobId=${id}`)).body;
    expect(funnel).toMatchObject({ rows: 40, enriched: 40, minScore: 50, delivered: 40 });
    expect(funnel.qualified).toBeGreaterThan(0);
    expect(world.receiver.deliveries).toHaveLength(40);
    const dash = h.sheets.model.sheet('book1', DASHBOARD_TITLE);
    const lines = funnelLines(funnel);
    expect(dash.values(FUNNEL_SECTION, 1, FUNNEL_SECTION + lines.length - 1, 3)).toEqual(
      lines.map((l) => [...l, '', ''].slice(0, 3).map((v) => (v === '' ? undefined : v))),
    );
    expect(dash.value(FUNNEL_SECTION, 1)).toBe('Lead funnel');
    expect(dash.values(FUNNEL_SECTION + 2, 1, FUNNEL_SECTION + 2, 3)[0]).toEqual(['Rows', 40, 1]);
    expect(dash.values(FUNNEL_SECTION + 5, 1, FUNNEL_SECTION + 5, 3)[0]).toEqual(['Qualified by the model', funnel.qualified, funnel.qualified / 40]);
    expect(dash.values(FUNNEL_SECTION + 8, 1, FUNNEL_SECTION + 8, 2)[0]).toEqual(['Cost per qualified lead', funnel.costPerQualifiedUsd]);
    expect(funnel.costPerQualifiedUsd).toBeCloseTo(funnel.costUsd / funnel.qualified, 6);
    // Its provider figures follow, in the job section as for any job.
    expect(dash.value(JOB_SECTION, 1)).toBe('This job');
  });

  it('makes a tab of an earlier layout again (its marker says so), and never deletes a tab that only has the title', async () => {
    h = await startSheetsHarness({ providers: [{ id: 'cheap', fields: ['company.name'], costPerCall: 0.01 }] });
    const list = domains(10);
    // book1: a dashboard an earlier version made (marker v1, its smaller grid); book2: the user's own tab of that title.
    const old = h.sheets.model.create('book1', [
      { title: 'Leads', values: leadsTab(list) },
      { title: DASHBOARD_TITLE, rowCount: 40, values: [['old layout']] },
    ]);
    old.sheets[1]!.anchorSheet({ metadataId: 7_001, metadataKey: DASHBOARD_MARKER, metadataValue: 'v1', visibility: 'DOCUMENT' } as never);
    h.sheets.model.create('book2', [
      { title: 'Leads', values: leadsTab(list) },
      { title: DASHBOARD_TITLE, values: [['mine']] },
    ]);
    h.sheets.auth.grant(TOKEN, 'alice');
    for (const book of ['book1', 'book2']) {
      const id = await submit({ fields: ['company.name'], rows: sheetRows(list), sheet: { ...sheetTarget(), spreadsheetId: book }, googleAccessToken: TOKEN });
      await h.waitForSheet(id);
    }
    const remade = h.sheets.model.sheet('book1', DASHBOARD_TITLE);
    expect(remade.metadata.map((m) => m.metadataValue)).toEqual([DASHBOARD_VERSION]);
    expect(remade.charts).toHaveLength(3);
    expect(remade.value(1, 1)).not.toBe('old layout');
    const users = h.sheets.model.sheet('book2', DASHBOARD_TITLE);
    expect(users.metadata).toEqual([]);
    expect(users.charts).toHaveLength(0);
  });
});
