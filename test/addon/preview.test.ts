import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readSampleLeads } from '../../api/demo/readLeads.js';
import { DEMO_KEY } from '../../api/demo/startDemo.js';
import { launchChromium } from '../../addon/preview/chromium.js';
import { PipelineInfoSchema, type PipelineInfo, type ProviderMetrics, type RowResult } from '../../shared/index.js';

/**
 * `npm run preview` as a new user meets it: the real preview server (built
 * add-on in the emulator, embedded demo API, local Sheets server) in its own
 * process, its page in Debian's Chromium.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts');

let child: ChildProcess;
let browser: Browser;
let page: Page;
let sidebar: Frame;

function startPreview(): Promise<string> {
  const db = join(mkdtempSync(join(tmpdir(), 'cascade-preview-')), 'preview.db');
  child = spawn(process.execPath, ['--import', 'tsx', 'addon/preview/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, PREVIEW_PORT: '0', CASCADE_DB: `file:${db}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Cascade local preview: (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`preview exited with ${code}:\n${out}`)));
  });
}

beforeAll(async () => {
  const [url, b] = await Promise.all([startPreview(), launchChromium()]);
  browser = b;
  page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  await page.goto(url);
  await page.locator('iframe').waitFor();
  sidebar = page.frame({ url: /\/sidebar$/ })!;
}, 120_000);
afterAll(async () => {
  await browser?.close();
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
});

const text = (id: string) => sidebar.getByTestId(id).innerText();
/** The preview's grid as the page shows it (formatted text), row by row. */
const shownGrid = () => page.$$eval('#grid table tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => td.textContent ?? '')));
const shot = async (name: string) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `preview-${name}.png`) });
};

it('sets up a job on the sample leads: same count as npm start, readable samples, presets, the estimate and Enrich in view', async () => {
  // npm start sends readSampleLeads(); the preview's tab holds the same leads, and the add-on counts the same rows.
  const leads = await readSampleLeads();
  expect(leads.every((l) => Object.keys(l.input).length > 0)).toBe(true);
  await expect.poll(() => text('estimate-rows'), { timeout: 30_000 }).toBe(String(leads.length));
  expect(await text('sheet-line')).toBe(`Tab “Leads” · ${leads.length} rows below the header`);

  // The chosen input's sample is whole, under its select: not cut off by the select's edge.
  expect(await text('sample-email')).toBe('e.g. emma.garcia@lumiere.fr');
  expect(await sidebar.locator('#input-email option:checked').innerText()).toBe('A · Email');

  // A preset ticks its set; pressed again it takes it away. The output columns read as one line.
  await sidebar.getByTestId('preset-tech').click();
  expect(await sidebar.getByTestId('preset-tech').getAttribute('aria-pressed')).toBe('true');
  expect(await text('outputs')).toBe('Writes C–H new: Company name, Industry, Employees, Tech stack, Email provider, Company GitHub · status I (new)');
  await sidebar.getByTestId('preset-tech').click();
  expect(await text('outputs')).toBe('Writes C–E new: Company name, Industry, Employees · status F (new)');

  // With both field lists open the panel is longer than the sidebar, and still the estimate and Enrich are on screen.
  await sidebar.getByTestId('fields-company').locator('summary').click();
  await sidebar.getByTestId('fields-person').locator('summary').click();
  await expect.poll(() => sidebar.getByTestId('enrich').isEnabled(), { timeout: 30_000 }).toBe(true);
  // Evaluated in the sidebar's frame (a string: this program has no DOM types).
  const view = (await sidebar.evaluate(`({
    height: window.innerHeight,
    page: document.documentElement.scrollHeight,
    enrich: document.querySelector('[data-testid="enrich"]').getBoundingClientRect().bottom,
    estimate: document.querySelector('[data-testid="estimate"]').getBoundingClientRect().top,
  })`)) as { height: number; page: number; enrich: number; estimate: number };
  expect(view.page).toBeGreaterThan(view.height);
  expect(view.enrich).toBeLessThanOrEqual(view.height);
  expect(view.estimate).toBeGreaterThanOrEqual(0);
  await shot('1-setup');
  await sidebar.getByTestId('fields-company').locator('summary').click();
  await sidebar.getByTestId('fields-person').locator('summary').click();
});

it('runs the job: the demo provider refuses some rows the first time, Retry flagged fills them, and Done shows only what matters', async () => {
  await sidebar.getByTestId('enrich').click();
  await expect.poll(() => text('phase'), { timeout: 120_000, interval: 500 }).toBe('Done');
  const flagged = Number(await text('failed'));
  // The demo's first-time refusal (labelled demo behaviour) is what a preview user sees flagged.
  expect(flagged).toBeGreaterThan(0);
  expect(await text('retry')).toBe(`Retry flagged (${flagged})`);
  expect(await sidebar.getByTestId('cancel').isVisible()).toBe(false);
  expect(await text('summary')).toContain(`${flagged} row${flagged === 1 ? '' : 's'} flagged`);
  // The sheet says why, in a few words, naming the provider by its label.
  await expect
    .poll(async () => (await shownGrid()).flat().filter((c) => c.startsWith('failed · Demo Firmographics Global: demo behaviour')).length, { timeout: 30_000 })
    .toBe(flagged);
  expect((await shownGrid()).flat().some((c) => c.includes(' · by '))).toBe(false);
  await shot('2-flagged');

  // The row inspector gives a flagged row's detail in full, as GET /v1/jobs/{id}/results has it: the whole message,
  // and each value with its provider's label (GET /v1/metrics), never its id.
  const flaggedRows = await page.$$eval('#grid td[data-r]', (tds) =>
    tds.filter((td) => (td.textContent ?? '').startsWith('failed · ')).map((td) => Number(td.getAttribute('data-r'))),
  );
  expect(flaggedRows).toHaveLength(flagged);
  const flaggedRow = flaggedRows[0]!;
  await inspect(flaggedRow);
  const summary = sidebar.getByTestId('inspect-summary');
  expect(await summary.getAttribute('data-status')).toBe('failed');
  const jobId = (await summary.getAttribute('data-job'))!;
  const api = async (path: string): Promise<any> => {
    const res = await fetch(`${await page.locator('#api').innerText()}${path}`, { headers: { authorization: `Bearer ${DEMO_KEY}` } });
    return res.json();
  };
  const rows = (await api(`/v1/jobs/${jobId}/results?limit=5000`)).rows as RowResult[];
  const labels = new Map(((await api('/v1/metrics?window=1h')).providers as ProviderMetrics[]).map((p) => [p.provider, p.label]));
  const flaggedResult = rows.find((r) => r.key === String(flaggedRow))!;
  expect(flaggedResult.error!.message).toMatch(/^Demo Firmographics Global: demo behaviour/);
  expect(await text('row-error')).toBe(flaggedResult.error!.message);
  expect(await sidebar.getByTestId('retry-row').isVisible()).toBe(true);
  // A row with values: each names its provider by label, as the API labels it.
  const withValues = rows.find((r) => Object.keys(r.values).length > 0 && r.key !== '1')!;
  await inspect(Number(withValues.key));
  const shown = sidebar.getByTestId('row-value');
  expect(await shown.count()).toBe(Object.keys(withValues.values).length);
  const first = Object.keys(withValues.values)[0]!;
  const source = await sidebar.locator(`[data-testid="row-value"][data-field="${first}"] [data-testid="row-value-source"]`).innerText();
  const provider = withValues.provenance[first]!.provider;
  expect(labels.get(provider)).toMatch(/\(demo\)$/);
  expect(provider).toMatch(/^demo-/);
  expect(source.startsWith(labels.get(provider)!)).toBe(true);
  expect(source).not.toContain(provider);
  await shot('2-inspect-row');

  // Retry this row alone: the demo refuses a lead only the first time, so it fills, and one row fewer is flagged.
  await inspect(flaggedRow);
  await sidebar.getByTestId('retry-row').click();
  await expect.poll(() => summary.getAttribute('data-status'), { timeout: 60_000, interval: 500 }).toMatch(/^(matched|partial|no_match)$/);
  expect(await sidebar.getByTestId('row-error').count()).toBe(0);
  await expect.poll(() => text('failed'), { timeout: 60_000, interval: 500 }).toBe(String(flagged - 1));

  await sidebar.getByTestId('retry').click();
  await expect.poll(() => text('failed'), { timeout: 120_000, interval: 500 }).toBe('0');
  await expect.poll(() => text('phase'), { timeout: 30_000 }).toBe('Done');
  expect(await sidebar.getByTestId('retry').isVisible()).toBe(false);
  expect(await sidebar.getByTestId('cancel').isVisible()).toBe(false);
  await expect.poll(() => text('summary'), { timeout: 30_000 }).toMatch(/^All \d+ rows done, none flagged\.$/);
  await expect.poll(async () => (await shownGrid()).flat().filter((c) => c.startsWith('failed')).length, { timeout: 30_000 }).toBe(0);
});

it('draws the dashboard with its number formats and charts, and a clicked tab becomes the active one', async () => {
  await sidebar.getByTestId('dashboard').click();
  // The add-on activated the dashboard tab; the page follows, as Sheets would.
  await expect.poll(() => page.locator('#tabs button.on').innerText(), { timeout: 30_000 }).toBe('Cascade dashboard');
  // Match rate in the dashboard's '0.0%' pattern, cost per match in '$0.0000'.
  await expect.poll(async () => (await shownGrid()).find((r) => r[0] === 'All providers')?.[1] ?? '', { timeout: 30_000 }).toMatch(/^\d{1,3}\.\d%$/);
  const grid = await shownGrid();
  const totals = grid.find((r) => r[0] === 'All providers')!;
  expect(totals[3]).toMatch(/^\$\d+\.\d{4}$/);
  // The time it was updated: a date as text, or a Sheets date serial shown through its DATE_TIME format, never a bare serial.
  expect(grid.find((r) => r[0] === 'Job')?.[3]).toMatch(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/);
  // The totals: this job's rows and spend beside the last 7 days', and the change with its arrow, in its colour.
  const leads = await readSampleLeads();
  expect(grid.find((r) => r[0] === 'Rows')?.[1]).toBe(leads.length.toLocaleString('en-US'));
  const spend = grid.find((r) => r[0] === 'Spend')!;
  expect(spend[1]).toMatch(/^\$\d+\.\d{2}$/);
  expect(spend[2]).toMatch(/^\$\d+\.\d{2}$/);
  expect(spend[4]).toMatch(/^(▲ \+|▼ -|= )\$\d+\.\d{2}$/);
  const change = page.locator('#grid tr', { has: page.locator('td[data-c="1"]', { hasText: /^Spend$/ }) }).locator('td[data-c="5"]');
  // More spend is worse: red, less green, none uncoloured.
  const colour = await change.evaluate((td) => (td as { style: { color: string } }).style.color);
  expect(colour).toBe(spend[4]!.startsWith('▲') ? 'rgb(217, 48, 37)' : spend[4]!.startsWith('▼') ? 'rgb(24, 128, 56)' : '');
  // The charts, the column ones with a bar per provider of this job.
  const charts = page.getByTestId('chart');
  await expect.poll(() => charts.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
  const matchRate = page.locator('[data-testid="chart"][aria-label="Match rate by provider (this job)"]');
  await expect.poll(() => matchRate.locator('rect.bar').count(), { timeout: 30_000 }).toBeGreaterThan(0);
  await shot('3-dashboard');

  // Back to Leads by its tab: it becomes the active sheet, so a new job is set up on it.
  await page.locator('#tabs button', { hasText: 'Leads' }).click();
  await expect.poll(() => page.locator('#tabs button.on').innerText()).toBe('Leads');
  await sidebar.getByTestId('new-job').click();
  await expect.poll(() => text('sheet-line'), { timeout: 30_000 }).toMatch(/^Tab “Leads”/);
  expect(await sidebar.locator('#input-email').inputValue()).toBe('1');
  await expect.poll(() => sidebar.getByTestId('enrich').isEnabled(), { timeout: 30_000 }).toBe(true);
  // The page stays on the tab the user chose while the sidebar works.
  expect(await page.locator('#tabs button.on').innerText()).toBe('Leads');
});

/** The demo workspace's pipeline as the API states it; none when the API has no such route or says it is not configured. */
async function demoPipeline(): Promise<PipelineInfo | null> {
  const apiUrl = await page.locator('#api').innerText();
  const res = await fetch(`${apiUrl}/v1/pipeline`, { headers: { authorization: `Bearer ${DEMO_KEY}` } });
  if (!res.ok) return null;
  const info = PipelineInfoSchema.parse(await res.json());
  return info.configured ? info : null;
}

/** Clicks a cell of the preview's grid (selecting its row, as in Sheets), then Inspect selected row. */
async function inspect(row: number) {
  await page.locator(`#grid td[data-r="${row}"][data-c="1"]`).click();
  await expect.poll(() => page.locator('#grid tr.sel td.n').innerText()).toBe(String(row));
  await sidebar.getByTestId('inspect-row').click();
  await expect.poll(() => sidebar.getByTestId('inspect-title').innerText(), { timeout: 30_000 }).toMatch(new RegExp(`^Row ${row} of “Leads”`));
}

it('qualifies the sample leads when the demo workspace has a pipeline, and the row inspector shows a row’s run', async () => {
  // A clicked cell selects its row, as in Sheets: the row Sheet.getActiveRange() gives the inspector.
  await page.locator('#grid td[data-r="3"][data-c="2"]').click();
  await expect.poll(() => page.locator('#grid tr.sel td.n').innerText()).toBe('3');
  expect(await page.locator('#grid td.cur').getAttribute('data-c')).toBe('2');
  const info = await demoPipeline();
  if (!info) {
    // A workspace without a pipeline: the sidebar offers no Qualify group and no inspector.
    await expect.poll(() => sidebar.getByTestId('enrich').isEnabled(), { timeout: 30_000 }).toBe(true);
    expect(await sidebar.getByTestId('qualify').count()).toBe(0);
    // The inspector is there all the same: it shows plain rows' detail.
    expect(await sidebar.getByTestId('inspect-row').count()).toBe(1);
    await shot('4-no-pipeline');
    return;
  }
  // The Qualify group, listing what the demo pipeline runs, with the model's step marked.
  await expect.poll(() => sidebar.getByTestId('qualify').isVisible(), { timeout: 30_000 }).toBe(true);
  expect(await text('pipeline-steps')).toMatch(/Score.*Qualify \(AI/);
  const wanted = ['lead.score', 'lead.qualified', 'lead.reason', 'lead.owner', 'lead.priority'];
  const ticked: string[] = [];
  for (const f of wanted) {
    const box = sidebar.locator(`[data-field="${f}"]`);
    if (await box.isDisabled()) continue;
    await box.check();
    ticked.push(f);
  }
  expect(ticked).toContain('lead.score');
  // The effects outside the sheet are offered only where the pipeline has a target, and start off.
  for (const id of ['pipeline-deliver', 'pipeline-notify']) {
    expect(await sidebar.getByTestId(id).count()).toBe(id === 'pipeline-deliver' ? Math.min(1, info.deliverTo.length) : Math.min(1, info.notifyTo.length));
    if (await sidebar.getByTestId(id).count()) expect(await sidebar.getByTestId(id).isChecked()).toBe(false);
  }
  expect(await text('outputs')).toContain('ICP score');
  await expect.poll(() => sidebar.getByTestId('estimate-qualify').count(), { timeout: 30_000 }).toBe(1);
  await expect.poll(() => sidebar.getByTestId('enrich').isEnabled(), { timeout: 30_000 }).toBe(true);
  await shot('4-qualify');

  await sidebar.getByTestId('enrich').click();
  await expect.poll(() => text('phase'), { timeout: 180_000, interval: 500 }).toBe('Done');
  // The lead fields are columns like any field: the score column fills in.
  await expect
    .poll(
      async () => {
        // The grid's first row is its column letters' (empty here); the header row is the one naming the column.
        const grid = await shownGrid();
        const head = grid.findIndex((r) => r.includes('ICP score'));
        if (head < 0) return 0;
        const col = grid[head]!.indexOf('ICP score');
        return grid.slice(head + 1).filter((r) => /^-?\d+(\.\d+)?$/.test(r[col] ?? '')).length;
      },
      { timeout: 60_000 },
    )
    .toBeGreaterThan(0);

  // The header row is no lead: the inspector says why.
  await inspect(1);
  expect(await text('inspect-note')).toMatch(/^Row 1 is above the rows the job sent/);
  // A row the model qualified: its steps, and the reason marked as the model's judgement. Rows scoring under the
  // pipeline's floor skip the model, so look down the rows for one it judged (a bounded number of looks).
  let judged = 0;
  for (let row = 2; row <= 41 && !judged; row++) {
    await inspect(row);
    expect(await sidebar.locator('[data-testid="lead-steps"] > li').count()).toBeGreaterThan(0);
    expect(await sidebar.locator('[data-step="score"]').count()).toBe(1);
    if (
      (await sidebar
        .locator('[data-step="qualify"]')
        .getAttribute('data-outcome')
        .catch(() => null)) === 'done'
    )
      judged = row;
  }
  expect(judged).toBeGreaterThan(0);
  const qualify = sidebar.locator('[data-step="qualify"]');
  expect(await qualify.getByTestId('step-figures').innerText()).toMatch(/ · \$/);
  if (ticked.includes('lead.reason')) {
    expect(await qualify.getByTestId('step-reason').innerText()).toContain('Model’s judgement');
    expect(await qualify.getByTestId('step-reason').getByTestId('ai-badge').count()).toBe(1);
  }
  await shot('5-inspect');
  // A run stopped at a failed step resumes from it with Replay.
  if (await sidebar.getByTestId('replay-lead').count()) {
    await sidebar.getByTestId('replay-lead').click();
    await expect.poll(() => sidebar.locator('[data-outcome="failed"]').count(), { timeout: 60_000 }).toBe(0);
  }
}, 120_000);
