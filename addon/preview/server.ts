import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startSheetsServer } from '../../test/google/sheets/index.js';
import { readSampleLeads } from '../../api/demo/readLeads.js';
import { createLog } from '../../api/log.js';
import { DEMO_KEY, startDemo } from '../../api/demo/startDemo.js';
import { FIELD_NAMES } from '../../shared/index.js';
import { buildAddon } from '../build.js';
import { AppsScript } from '../emulator/runtime.js';
import { httpShim, runForSidebar } from '../emulator/scriptRun.js';
import { launchChromium } from './chromium.js';

/** Rows of the shown tab sent to the page: enough to watch a job, not a 100,000-row table. */
const VIEW_ROWS = 300;

const json = (res: ServerResponse, body: unknown, status = 200) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const readBody = async (req: IncomingMessage) => {
  let s = '';
  for await (const chunk of req) s += chunk;
  return JSON.parse(s || '{}') as { fn?: string; args?: unknown[] };
};

/**
 * `npm run preview`: the add-on without a Google account. The built sidebar
 * beside a live view of the in-memory spreadsheet; the sidebar's server
 * calls run the built bundle in the Apps Script emulator against the
 * embedded demo API (simulated providers, labelled demo), whose write-back
 * goes through googleapis to the local Sheets server holding that same
 * spreadsheet. `--screenshot <file>` runs one job in Chromium and saves the
 * page (how docs/sidebar.png is made).
 */
async function main() {
  const shotAt = process.argv.indexOf('--screenshot');
  const screenshot = shotAt > 0 ? process.argv[shotAt + 1] : undefined;
  const log = createLog([DEMO_KEY]);
  const built = await buildAddon();
  const sheets = await startSheetsServer();
  const leads = await readSampleLeads();
  // Each lead on the row its key names (its line in the file), as the add-on will key it.
  const values: string[][] = [['Email', 'Website']];
  for (const l of leads) values[Number(l.key) - 1] = [l.input.email ?? '', l.input.domain ?? ''];
  const book = sheets.model.create('local-preview', [{ title: 'Leads', values: Array.from(values, (r) => r ?? ['', '']) }]);
  const token = 'ya29.local-preview-token';
  sheets.auth.grant(token, 'you@example.com');
  const cascade = await startDemo({
    dbUrl: process.env.CASCADE_DB ?? 'file:./data/preview.db',
    port: 0,
    host: '127.0.0.1',
    log,
    // Quicker than Google's defaults, so rows show up in the view as they finish.
    sheets: { rootUrl: sheets.url, maxDelayMs: 500, minRowsPerRequest: 20, dashboardEveryMs: 3000 },
  });
  const gas = await AppsScript.start({ dir: built.outDir, book, user: { token } });
  await gas.run('saveSettings', { apiUrl: cascade.url, apiKey: DEMO_KEY });

  const page = await readFile(fileURLToPath(new URL('./page.html', import.meta.url)), 'utf8');
  // The sidebar exactly as built, with google.script.run defined before it runs.
  const sidebar = built.sidebar.replace('<head>', () => `<head>\n<script>${httpShim('/gas/run')}</script>`);
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://preview');
      if (req.method === 'GET' && url.pathname === '/') return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
      if (req.method === 'GET' && url.pathname === '/sidebar') return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(sidebar);
      if (req.method === 'GET' && url.pathname === '/fields') return json(res, FIELD_NAMES);
      if (req.method === 'GET' && url.pathname === '/grid') {
        const active = gas.host.spreadsheet.active();
        const sheetId = url.searchParams.has('sheetId') ? Number(url.searchParams.get('sheetId')) : active;
        const tab = book.sheetById(sheetId) ?? book.sheetById(active)!;
        const rows = Math.min(tab.rowCount, VIEW_ROWS);
        const values = tab.values(1, 1, rows, tab.columnCount).map((r) => {
          const line = r.map((v) => v ?? '');
          while (line.length > 0 && line[line.length - 1] === '') line.pop();
          return line;
        });
        while (values.length > 1 && values[values.length - 1]!.length === 0) values.pop();
        const charts = tab.charts.map((c) => chartView(c.spec, (range) => book.sheetById(range.sheetId ?? tab.sheetId)));
        return json(res, {
          apiUrl: cascade.url,
          tabs: book.sheets.map((s) => ({ sheetId: s.sheetId, title: s.title })),
          active,
          sheetId: tab.sheetId,
          values,
          formats: numberFormats(tab.formats),
          colours: textColours(tab.conditionalFormats),
          charts,
          selected: gas.host.spreadsheet.selection(tab.sheetId),
          more: tab.rowCount - rows,
        });
      }
      // Clicking a tab makes it the active sheet, as in Sheets: what the add-on's next execution reads.
      if (req.method === 'POST' && url.pathname === '/activate') {
        const tab = book.sheetById(Number(url.searchParams.get('sheetId')));
        if (!tab) return json(res, { error: 'no such tab' }, 404);
        gas.host.spreadsheet.activeSheetId = tab.sheetId;
        return json(res, { active: tab.sheetId });
      }
      // Clicking a cell selects it (and its tab), as in Sheets: what Sheet.getActiveRange() gives the row inspector.
      if (req.method === 'POST' && url.pathname === '/select') {
        const tab = book.sheetById(Number(url.searchParams.get('sheetId')));
        const row = Number(url.searchParams.get('row'));
        const column = Number(url.searchParams.get('column') ?? 1);
        if (!tab || !(row >= 1 && row <= tab.rowCount) || !(column >= 1 && column <= tab.columnCount)) return json(res, { error: 'no such cell' }, 400);
        gas.host.spreadsheet.activeSheetId = tab.sheetId;
        gas.host.spreadsheet.select(tab.sheetId, row, column);
        return json(res, { selected: gas.host.spreadsheet.selection(tab.sheetId) });
      }
      if (req.method === 'POST' && url.pathname === '/gas/run') {
        const { fn, args } = await readBody(req);
        return json(res, await runForSidebar(gas, String(fn), args ?? []));
      }
      if (req.method === 'POST' && url.pathname === '/gas/custom') {
        const { args } = await readBody(req);
        try {
          return json(res, { ok: true, value: await gas.customFunction('CASCADE', ...(args ?? [])) });
        } catch (err) {
          return json(res, { ok: false, error: { name: 'Error', message: (err as Error).message } });
        }
      }
      json(res, { error: 'not found' }, 404);
    })().catch((err) => json(res, { error: String(err) }, 500));
  });
  await new Promise<void>((r) => server.listen(screenshot ? 0 : Number(process.env.PREVIEW_PORT ?? 8790), '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stop = async () => {
    server.close();
    await gas.close();
    await cascade.stop();
    await sheets.close();
  };

  if (screenshot) {
    await takeScreenshot(url, screenshot);
    await stop();
    return;
  }
  console.log(`Cascade local preview: ${url}`);
  console.log(`  the sidebar is the built add-on in an Apps Script emulator; the sheet is in memory; the demo API is ${cascade.url} (key ${DEMO_KEY})`);
  console.log('  this is a local preview, not Google Sheets; Ctrl-C stops it.');
  const quit = () => void stop().then(() => process.exit(0));
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);
}

interface GridRange {
  sheetId?: number;
  startRowIndex?: number;
  endRowIndex?: number;
  startColumnIndex?: number;
  endColumnIndex?: number;
}
type TabLike = { values(row1: number, col1: number, row2: number, col2: number): unknown[][]; rowCount: number; columnCount: number };

/**
 * The number formats the tab's repeatCell requests set (the local Sheets
 * server keeps them as received), as 0-based ranges with their pattern, in
 * request order: a later request over the same cell wins, as in Sheets.
 */
export function numberFormats(formats: unknown[]) {
  return formats.flatMap((f) => {
    const r = f as { range?: GridRange; cell?: { userEnteredFormat?: { numberFormat?: { type?: string; pattern?: string } } } };
    const nf = r.cell?.userEnteredFormat?.numberFormat;
    if (!r.range || !nf?.pattern) return [];
    const { startRowIndex = 0, endRowIndex = 1e7, startColumnIndex = 0, endColumnIndex = 1e5 } = r.range;
    return [{ rows: [startRowIndex, endRowIndex], cols: [startColumnIndex, endColumnIndex], type: nf.type ?? 'NUMBER', pattern: nf.pattern }];
  });
}

/**
 * The text colours the tab's conditional format rules give (the dashboard's
 * changes: green the good way, red the other), as 0-based ranges with their
 * condition, in rule order: the first rule that holds for a cell wins, as in
 * Sheets. Rules of other kinds (the status column's fills, which the page
 * draws itself) are left out.
 */
export function textColours(rules: unknown[]) {
  const KINDS = new Set(['NUMBER_GREATER', 'NUMBER_LESS', 'TEXT_EQ']);
  return rules.flatMap((x) => {
    const r = x as {
      ranges?: GridRange[];
      booleanRule?: {
        condition?: { type?: string; values?: { userEnteredValue?: string }[] };
        format?: { textFormat?: { foregroundColor?: { red?: number; green?: number; blue?: number } } };
      };
    };
    const condition = r.booleanRule?.condition;
    const c = r.booleanRule?.format?.textFormat?.foregroundColor;
    if (!condition?.type || !KINDS.has(condition.type) || !c) return [];
    const colour = `rgb(${[c.red, c.green, c.blue].map((v) => Math.round((v ?? 0) * 255)).join(',')})`;
    return (r.ranges ?? []).map(({ startRowIndex = 0, endRowIndex = 1e7, startColumnIndex = 0, endColumnIndex = 1e5 }) => ({
      rows: [startRowIndex, endRowIndex],
      cols: [startColumnIndex, endColumnIndex],
      type: condition.type,
      value: condition.values?.[0]?.userEnteredValue ?? '',
      colour,
    }));
  });
}

/** A serial day number as Sheets holds dates (days since 1899-12-30, UTC) as yyyy-mm-dd. */
const serialDate = (n: number) => new Date(Math.round((n - 25569) * 86_400_000)).toISOString().slice(0, 10);

/**
 * A basic chart's title, axis titles, domain labels and series, read from
 * its source ranges: what the page draws as SVG. With headerCount 1 the
 * first row names the series. Rows with an empty domain cell (a fixed block
 * not yet filled) are not points; a line chart's numeric domain is a date.
 */
export function chartView(spec: unknown, sheetOf: (r: GridRange) => TabLike | undefined) {
  type Range = { sourceRange?: { sources?: GridRange[] } };
  const s = spec as {
    title?: string;
    basicChart?: {
      chartType?: string;
      headerCount?: number;
      axis?: { position?: string; title?: string }[];
      domains?: { domain?: Range }[];
      series?: { series?: Range }[];
    };
  };
  const column = (r: Range | undefined): unknown[] => {
    const src = r?.sourceRange?.sources?.[0];
    const tab = src && sheetOf(src);
    if (!src || !tab) return [];
    const from = (src.startRowIndex ?? 0) + 1;
    const to = Math.min(src.endRowIndex ?? tab.rowCount, tab.rowCount);
    if (to < from) return [];
    const col = (src.startColumnIndex ?? 0) + 1;
    return tab.values(from, col, to, col).map((row) => row[0] ?? '');
  };
  const b = s.basicChart ?? {};
  const type = b.chartType ?? 'COLUMN';
  const skip = b.headerCount ?? 0;
  const domain = column(b.domains?.[0]?.domain);
  const series = (b.series ?? []).map((x) => column(x.series));
  const rows = domain.flatMap((d, i) => (i >= skip && d !== '' ? [i] : []));
  const named = series
    .map((v, k) => ({ name: skip > 0 ? String(v[0] ?? '') : `Series ${k + 1}`, values: rows.map((i) => (typeof v[i] === 'number' ? (v[i] as number) : null)) }))
    .filter((x) => x.values.some((v) => v !== null));
  return {
    title: s.title ?? '',
    type,
    xTitle: b.axis?.find((a) => a.position === 'BOTTOM_AXIS')?.title ?? '',
    yTitle: b.axis?.find((a) => a.position === 'LEFT_AXIS')?.title ?? '',
    labels: rows.map((i) => (typeof domain[i] === 'number' && type === 'LINE' ? serialDate(domain[i] as number) : String(domain[i]))),
    series: named,
  };
}

/** One job, run from the sidebar in Chromium, then the whole page captured. */
async function takeScreenshot(url: string, path: string) {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    await page.goto(url);
    const sidebar = page.frameLocator('iframe');
    await sidebar.getByTestId('fields-person').locator('summary').click();
    await sidebar.locator('[data-field="person.title"]').check();
    await sidebar.getByTestId('fields-person').locator('summary').click();
    // Enabled once the estimate for the ticked fields is in: the click waits for that.
    await sidebar.getByTestId('enrich').click({ timeout: 60_000 });
    await sidebar.getByText('Done', { exact: true }).waitFor({ timeout: 120_000 });
    // Let the last rows be written and the view poll once more.
    await page.waitForTimeout(3000);
    await page.screenshot({ path });
    console.log(`saved ${path}`);
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
