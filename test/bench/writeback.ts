/**
 * Write-back of a large job into the local Sheets server, at Google's real
 * quotas (60 writes per minute per user, 300 per project). Reports the Sheets
 * requests used, rows per request, and where the time went: enriching, and
 * waiting for quota. `tsx test/bench/writeback.ts [rows]`, or from run.ts via
 * runWritebackBench(). Figures only: nothing here fails on a target.
 */
import { pathToFileURL } from 'node:url';
import { DEFAULT_SHEETS_OPTIONS } from '../../api/sheets/options.js';
import { leadsTab, sheetRows, startSheetsHarness } from '../sheets/harness.js';
import { figure, heading, num, out, table } from './report.js';

export interface WritebackResult {
  rows: number;
  enrichSeconds: number;
  /** From the first POST until every row was in the sheet and the dashboard final. */
  totalSeconds: number;
  /** After the last row finished enriching, until the write-back settled. */
  tailSeconds: number;
  requests: Record<string, number>;
  writeRequests: number;
  rowWriteRequests: number;
  rowsPerRowWrite: number;
  quotaWaitSeconds: number;
  rateLimited: number;
  written: number;
}

export async function runWritebackBench(n: number): Promise<WritebackResult> {
  const h = await startSheetsHarness({
    providers: [
      {
        id: 'fast-a',
        fields: ['company.name'],
        concurrency: 128,
        costPerCall: 0.001,
        behaviour: { matchRate: { '*': 0.5 }, latency: { medianMs: 2, sigma: 0.3 } },
      },
      {
        id: 'fast-b',
        fields: ['company.name'],
        concurrency: 128,
        costPerMatch: 0.01,
        behaviour: { matchRate: { '*': 0.6 }, latency: { medianMs: 2, sigma: 0.3 } },
      },
    ],
    // Google's own figures, not the tests' short windows.
    sheets: { ...DEFAULT_SHEETS_OPTIONS },
    server: { writes: { perUser: 60, perProject: 300, windowMs: 60_000 }, reads: { perUser: 60, perProject: 300, windowMs: 60_000 } },
  });
  try {
    const list = Array.from({ length: n }, (_, i) => `lead${i}.${['com', 'de', 'fr', 'io'][i % 4]}`);
    h.sheets.model.create('bench', [{ title: 'Leads', values: leadsTab(list) }]);
    h.sheets.auth.grant('ya29.bench', 'bench-user');
    const rows = sheetRows(list);
    const started = Date.now();
    const first = await h.api('/v1/jobs', {
      body: { fields: ['company.name'], rows: rows.slice(0, 5000), sheet: { spreadsheetId: 'bench', sheetName: 'Leads' }, googleAccessToken: 'ya29.bench' },
    });
    if (first.status !== 202) throw new Error(`POST /v1/jobs answered ${first.status}: ${JSON.stringify(first.body)}`);
    const id = first.body.id as string;
    for (let i = 5000; i < rows.length; i += 5000) {
      const res = await h.api(`/v1/jobs/${id}/rows`, { body: { rows: rows.slice(i, i + 5000) } });
      if (res.status !== 202) throw new Error(`append answered ${res.status}`);
    }
    const progress = setInterval(() => {
      void h
        .api(`/v1/jobs/${id}`)
        .then(({ body }) =>
          process.stderr.write(
            `  ${((Date.now() - started) / 1000).toFixed(0)} s: ${body.counts.total - body.counts.pending - body.counts.running} rows done, ${body.sheet?.written ?? 0} written\n`,
          ),
        );
    }, 10_000);
    const view = await h.waitForSheet(id, undefined, 1_800_000).finally(() => clearInterval(progress));
    const totalSeconds = (Date.now() - started) / 1000;
    const enrichSeconds = (Date.parse(view.finishedAt) - started) / 1000;
    const log = h.sheets.requests;
    const requests: Record<string, number> = {};
    for (const r of log) requests[r.endpoint] = (requests[r.endpoint] ?? 0) + 1;
    const rowWrites = log.filter((r) => r.status === 200 && r.anchors?.length);
    const stats = h.cascade.writeBack.writer.stats;
    return {
      rows: n,
      enrichSeconds,
      totalSeconds,
      tailSeconds: totalSeconds - enrichSeconds,
      requests,
      writeRequests: log.filter((r) => r.kind === 'write').length,
      rowWriteRequests: rowWrites.length,
      rowsPerRowWrite: rowWrites.reduce((a, r) => a + r.items, 0) / Math.max(1, rowWrites.length),
      quotaWaitSeconds: stats.quotaWaitMs / 1000,
      rateLimited: log.filter((r) => r.status === 429).length,
      written: view.sheet.written,
    };
  } finally {
    await h.stop();
  }
}

export function reportWriteback(r: WritebackResult): void {
  heading(`Sheets write-back: a ${num(r.rows)}-row job into the local Sheets server at Google's quotas`);
  figure('rows written', `${num(r.written)} of ${num(r.rows)}`, num(r.rows));
  figure('Sheets requests (all)', num(Object.values(r.requests).reduce((a, b) => a + b, 0)));
  table(
    ['endpoint', 'requests'],
    Object.entries(r.requests).map(([k, v]) => [k, num(v)]),
  );
  figure('write requests', num(r.writeRequests), '<= 60 per minute per user');
  figure('rows per row-write request', num(r.rowsPerRowWrite));
  figure('429s from Sheets', num(r.rateLimited), '0');
  figure('enriching (first POST to job done)', `${r.enrichSeconds.toFixed(1)} s`);
  figure('waiting for quota (summed over requests)', `${r.quotaWaitSeconds.toFixed(1)} s`);
  figure('write-back after the last row finished', `${r.tailSeconds.toFixed(1)} s`);
  figure('total, first POST to sheet complete', `${r.totalSeconds.toFixed(1)} s`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = Number(process.argv[2] ?? 100_000);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`rows must be a positive integer, not ${process.argv[2]}`);
  out(`Cascade write-back benchmark — node ${process.version}, ${new Date().toISOString()}`);
  runWritebackBench(n)
    .then(reportWriteback)
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}
