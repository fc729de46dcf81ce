import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SheetsModel, type CellValue } from '../google/sheets/index.js';
import { AppsScript } from '../../addon/emulator/runtime.js';
import { BINDING, bindingShim, runForSidebar } from '../../addon/emulator/scriptRun.js';
import { launchChromium } from '../../addon/preview/chromium.js';
import { builtAddon } from './helpers/build.js';
import { FAKE_JOB_ID, FAKE_KEY, failedRun, startFakeLeadApi, type FakeLeadApi } from './helpers/fakeLeadApi.js';

/**
 * The sidebar's lead-pipeline parts in Debian's Chromium: the built
 * sidebar.html, google.script.run bridged to the emulator running the built
 * bundle, the API a stand-in for its pipeline routes (helpers/fakeLeadApi),
 * so the Qualify group and the row inspector are checked whatever state
 * the server's pipeline is in. test/addon/preview.test.ts checks the same
 * against the real demo API.
 */
const N = 8;
const ARTIFACTS = join(process.cwd(), 'test-artifacts');

let api: FakeLeadApi;
let gas: AppsScript;
let browser: Browser;
let page: Page;
beforeAll(async () => {
  const built = await builtAddon();
  [api, browser] = await Promise.all([startFakeLeadApi(), launchChromium()]);
  // This workspace's pipeline does not dedup: Duplicate of is offered but cannot be ticked.
  api.pipeline = {
    configured: true,
    steps: ['enrich', 'score', 'qualify', 'route', 'deliver', 'notify'],
    deliverTo: ['hubspot'],
    notifyTo: ['slack'],
    minScore: 40,
  };
  const book = new SheetsModel().create('sidebar-leads', [
    { title: 'Leads', values: [['Email', 'Website'], ...Array.from({ length: N }, (_, i): CellValue[] => [`ann${i}@lead${i}.com`, `lead${i}.com`])] },
  ]);
  gas = await AppsScript.start({ dir: built.outDir, book });
  await gas.run('saveSettings', { apiUrl: api.url, apiKey: FAKE_KEY });
  page = await browser.newPage({ viewport: { width: 300, height: 1400 } });
  await page.exposeFunction(BINDING, (fn: string, args: unknown[]) => runForSidebar(gas, fn, args));
  await page.addInitScript(bindingShim());
  await page.route('https://sidebar.cascade.test/', (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: built.sidebar }));
  await page.goto('https://sidebar.cascade.test/');
});
afterAll(async () => {
  await browser?.close();
  await gas?.close();
  await api?.close();
});

const text = (id: string) => page.getByTestId(id).innerText();
const shot = async (name: string) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `sidebar-leads-${name}.png`), fullPage: true });
};
const step = (name: string) => page.locator(`[data-step="${name}"]`);

it('shows the Qualify group when the workspace has a pipeline, and sends the effects only as the user turned them on', async () => {
  await expect.poll(() => page.getByTestId('qualify').isVisible(), { timeout: 20_000 }).toBe(true);
  expect(await text('pipeline-steps')).toBe('Runs Enrich → Score → Qualify (AI, score ≥ 40) → Route → Write to CRM → Notify owner');
  // The lead fields, labelled from the catalogue; one whose step is not configured cannot be ticked.
  const labels = await page.locator('#qualify .field label').allInnerTexts();
  expect(labels).toEqual(['ICP score', 'Qualified (AI)', 'Reason (AI)', 'Owner', 'Priority', 'CRM record', 'Duplicate of']);
  expect(await page.locator('[data-field="lead.duplicateOf"]').isDisabled()).toBe(true);
  expect(await page.locator('[data-field="lead.score"]').isDisabled()).toBe(false);
  expect(await text('judgement-note')).toContain('a model’s judgement, not found facts');
  // No lead field ticked: no effects to offer.
  expect(await page.getByTestId('pipeline-deliver').count()).toBe(0);
  expect(await page.getByTestId('pipeline-notify').count()).toBe(0);

  await page.locator('[data-field="lead.score"]').check();
  await page.locator('[data-field="lead.qualified"]').check();
  await page.locator('[data-field="lead.reason"]').check();
  // Both effects appear, off, each naming where it goes.
  expect(await page.locator('label[for="pipeline-deliver"]').innerText()).toBe('Write to CRM (HubSpot)');
  expect(await page.locator('label[for="pipeline-notify"]').innerText()).toBe('Notify owners (Slack)');
  expect(await page.getByTestId('pipeline-deliver').isChecked()).toBe(false);
  expect(await page.getByTestId('pipeline-notify').isChecked()).toBe(false);
  // Lead fields get columns like any field, headed with their label.
  await expect.poll(() => text('outputs')).toBe('Writes C–H new: Company name, Industry, Employees, ICP score, Qualified (AI), Reason (AI) · status I (new)');
  // The estimate prices the enrichment fields only, and says so.
  await expect.poll(() => page.getByTestId('estimate-qualify').count(), { timeout: 20_000 }).toBe(1);
  expect(await text('estimate-rows')).toBe(String(N));
  expect(api.requests.filter((r) => r.path === '/v1/estimate').at(-1)!.body.fields).toEqual(['company.name', 'company.industry', 'company.employees']);
  await shot('1-qualify');

  await page.getByTestId('pipeline-deliver').check();
  await expect.poll(() => page.getByTestId('enrich').isEnabled(), { timeout: 20_000 }).toBe(true);
  await page.getByTestId('enrich').click();
  await expect.poll(() => page.getByTestId('phase').isVisible(), { timeout: 20_000 }).toBe(true);
  const created = api.requests.filter((r) => r.method === 'POST' && r.path === '/v1/jobs');
  expect(created).toHaveLength(1);
  expect(created[0]!.body.fields).toEqual(['company.name', 'company.industry', 'company.employees', 'lead.score', 'lead.qualified', 'lead.reason']);
  expect(created[0]!.body.pipeline).toEqual({ deliver: true, notify: false });
  await expect.poll(() => text('phase'), { timeout: 20_000 }).toBe('Done');
});

it('inspects the selected row: each step with its figures, the model’s reason marked as its judgement, and Replay resumes the failed step', async () => {
  api.leads.set(`${FAKE_JOB_ID}.3`, failedRun(FAKE_JOB_ID, '3'));
  const leads = gas.host.spreadsheet.book.sheet('Leads')!;
  gas.host.spreadsheet.select(leads.sheetId, 3, 2);
  await page.getByTestId('inspect-row').click();
  await expect.poll(() => page.getByTestId('inspect-title').innerText(), { timeout: 20_000 }).toBe('Row 3 of “Leads”');
  expect(await page.locator('[data-testid="lead-steps"] > li').count()).toBe(5);
  expect(
    await page
      .locator('[data-testid="lead-steps"] > li')
      .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-step')}:${e.getAttribute('data-outcome')}`)),
  ).toEqual(['enrich:done', 'score:done', 'qualify:done', 'route:done', 'deliver:failed']);
  expect(await step('qualify').getByTestId('step-figures').innerText()).toBe('1.2 s · $0.0004');
  expect(await step('qualify').getByTestId('step-by').innerText()).toBe('by demo-llm (gpt-4o-mini)');
  // The reason is shown as the model's judgement, in words and with the AI badge; the step too carries the badge.
  const reason = step('qualify').getByTestId('step-reason');
  expect(await reason.innerText()).toMatch(/^AI\s+Model’s judgement: “?Mid-size SaaS in a target country”?$/);
  expect(await reason.getByTestId('ai-badge').count()).toBe(1);
  expect(await step('qualify').locator('.step-head [data-testid="ai-badge"]').count()).toBe(1);
  expect(await step('score').getByTestId('ai-badge').count()).toBe(0);
  // The lead fields the run wrote; the verdict and reason badged.
  const badged = await page
    .locator('[data-testid="lead-fields"] .lead-field')
    .evaluateAll((els) => els.filter((e) => e.querySelector('[data-testid="ai-badge"]')).map((e) => e.getAttribute('data-field')));
  expect(badged).toEqual(['lead.qualified', 'lead.reason']);
  expect(await step('deliver').getByTestId('step-error').innerText()).toBe('HubSpot answered HTTP 502');
  expect(await text('inspect-summary')).toBe('Stopped at Write to CRM · $0.0304 in all');
  expect(await page.getByTestId('replay-lead').innerText()).toBe('Replay from Write to CRM');
  await shot('2-inspect');

  await page.getByTestId('replay-lead').click();
  await expect.poll(() => step('deliver').getAttribute('data-outcome'), { timeout: 30_000 }).toBe('done');
  expect(api.requests.filter((r) => r.path === `/v1/jobs/${FAKE_JOB_ID}/retry`).map((r) => r.body)).toEqual([{ keys: ['3'] }]);
  expect(await step('deliver').getByTestId('step-figures').innerText()).toBe('310 ms · $0 · attempt 2');
  expect(await step('deliver').getByTestId('step-detail').innerText()).toBe('CRM record 901');
  expect(await step('notify').getAttribute('data-outcome')).toBe('done');
  expect(await page.getByTestId('replay-lead').count()).toBe(0);
  expect(await text('inspect-summary')).toMatch(/^Done · /);
  await shot('3-replayed');
});

it('explains a row that has no lead run', async () => {
  const leads = gas.host.spreadsheet.book.sheet('Leads')!;
  gas.host.spreadsheet.select(leads.sheetId, 6);
  await page.getByTestId('inspect-row').click();
  await expect.poll(() => page.getByTestId('inspect-title').innerText(), { timeout: 20_000 }).toBe('Row 6 of “Leads”');
  expect(await text('inspect-note')).toMatch(/^Row 6 has no lead run/);
  expect(await page.getByTestId('lead-steps').count()).toBe(0);
});
