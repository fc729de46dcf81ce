import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CellValue } from '../google/sheets/index.js';
import { BINDING, bindingShim, runForSidebar } from '../../addon/emulator/scriptRun.js';
import { launchChromium } from '../../addon/preview/chromium.js';
import { builtAddon } from './helpers/build.js';
import { startAddonHarness, type AddonHarness, type BoundAddon } from './helpers/addonHarness.js';

const N = 200;
const domain = (i: number) => `lead${i}.com`;
const failing = new Set(Array.from({ length: N / 8 }, (_, i) => domain(i * 8)));
const ARTIFACTS = join(process.cwd(), 'test-artifacts');

let stack: AddonHarness;
let bound: BoundAddon;
let browser: Browser;
let page: Page;
beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startAddonHarness({
      providers: [
        {
          id: 'firmo',
          fields: ['company.name', 'company.industry', 'company.employees'],
          input: 'domain',
          costPerMatch: 0.02,
          behaviour: { failFor: new Set(failing) },
        },
        { id: 'people', fields: ['person.title'], input: 'email', costPerCall: 0.005 },
      ],
    }),
    launchChromium(),
  ]);
  bound = await stack.open(
    [{ title: 'Leads', values: [['Work email', 'Company website'], ...Array.from({ length: N }, (_, i): CellValue[] => [`ann${i}@${domain(i)}`, domain(i)])] }],
    {
      batchRows: 60,
      uploadBudgetMs: 0,
    },
  );
  page = await browser.newPage({ viewport: { width: 300, height: 1100 } });
  // google.script.run, bridged to the emulator running the built bundle.
  await page.exposeFunction(BINDING, (fn: string, args: unknown[]) => runForSidebar(bound.gas, fn, args));
  await page.addInitScript(bindingShim());
  // Served as a page of its own (as HtmlService serves it in an iframe), so the init script runs before it.
  const html = (await builtAddon()).sidebar;
  await page.route('https://sidebar.cascade.test/', (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: html }));
  await page.goto('https://sidebar.cascade.test/');
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const text = (id: string) => page.getByTestId(id).innerText();
const shot = async (name: string) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // The bar's width animates for 0.3 s.
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(ARTIFACTS, `sidebar-${name}.png`), fullPage: true });
};

it('in Chromium: Enrich runs the column to 100 %, shows the flagged rows, and Retry flagged brings them to zero', async () => {
  // The sidebar proposes the inputs from the headers and values, and estimates before anything runs.
  await expect.poll(() => page.locator('#input-email').inputValue()).toBe('1');
  expect(await page.locator('#input-domain').inputValue()).toBe('2');
  // The field lists are folded: presets or an opened list tick fields.
  await page.getByTestId('fields-person').locator('summary').click();
  await page.locator('[data-field="person.title"]').check();
  await expect.poll(() => text('outputs')).toBe('Writes C–F new: Company name, Industry, Employees, Job title · status G (new)');
  await expect.poll(() => text('estimate-rows'), { timeout: 20_000 }).toBe(String(N));
  expect(await text('estimate-cached')).toBe('0');
  await expect.poll(() => page.getByTestId('enrich').isEnabled()).toBe(true);
  expect(await page.getByTestId('enrich').innerText()).toBe(`Enrich ${N} rows`);
  await shot('1-setup');

  await page.getByTestId('enrich').click();
  const bar = page.getByTestId('progress-bar');
  await expect.poll(() => bar.getAttribute('aria-valuenow'), { timeout: 60_000, interval: 250 }).toBe('100');
  await expect.poll(() => text('phase'), { timeout: 30_000 }).toBe('Done');
  expect(await text('done')).toBe(String(N));
  expect(await text('failed')).toBe(String(failing.size));
  expect(await page.getByTestId('retry').innerText()).toBe(`Retry flagged (${failing.size})`);
  // Done with flagged rows: no Cancel (nothing runs), Retry and why.
  await expect.poll(() => page.getByTestId('cancel').isVisible()).toBe(false);
  expect(await text('summary')).toContain(`${failing.size} rows flagged`);
  await shot('2-flagged');

  // The rows are in the sheet, flagged where the provider failed.
  const tab = bound.book.sheet('Leads')!;
  const status = tab.values(2, 1, N + 1, tab.columnCount).map((r) => r.find((v) => /^(matched|failed)/.test(String(v))));
  expect(status.filter((s) => String(s).startsWith('failed'))).toHaveLength(failing.size);

  stack.sim.providers.get('firmo')!.behaviour.failFor = undefined;
  await page.getByTestId('retry').click();
  await expect.poll(() => text('failed'), { timeout: 60_000, interval: 250 }).toBe('0');
  await expect.poll(() => text('phase'), { timeout: 30_000 }).toBe('Done');
  // Done with nothing flagged: no disabled Cancel, no "Retry flagged (0)"; the next step is a new job.
  expect(await page.getByTestId('retry').isVisible()).toBe(false);
  expect(await page.getByTestId('cancel').isVisible()).toBe(false);
  expect(await page.getByTestId('new-job').getAttribute('class')).toContain('primary');
  await expect.poll(() => text('summary'), { timeout: 30_000 }).toBe(`All ${N} rows done, none flagged.`);
  expect(await bar.getAttribute('aria-valuenow')).toBe('100');
  expect(await text('failed')).toBe('0');
  expect(await text('matched')).toBe(String(N));
  await shot('3-retried');
});
