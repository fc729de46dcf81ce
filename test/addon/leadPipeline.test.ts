import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSheetsServer, type CellValue, type SheetsServer, type Spreadsheet } from '../google/sheets/index.js';
import { AppsScript } from '../../addon/emulator/runtime.js';
import type { LeadView, ProgressView, RowInspection } from '../../addon/src/contract.js';
import type { PipelineInfo } from '../../shared/index.js';
import { startPipelineWorld, type PipelineWorld } from '../helpers/pipelineWorld.js';
import { spawnServer, type Spawned } from '../helpers/spawnServer.js';
import { builtAddon } from './helpers/build.js';
import { settled } from './helpers/addonHarness.js';

/**
 * The add-on against the real API with a lead pipeline (score, the model,
 * routing, HubSpot and a webhook, Slack), all of it on 127.0.0.1: the API
 * as its own process, the pipeline's world from test/helpers/pipelineWorld,
 * the built bundle in the emulator. A sheet job asks for lead fields; the
 * CRM webhook refuses at first, so each row's run stops at its deliver step;
 * the inspector shows that and Replay resumes one row from there.
 */
const N = 6;
let world: PipelineWorld;
let sheets: SheetsServer;
let api: Spawned;
let gas: AppsScript;
let book: Spreadsheet;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-addon-leads-'));
  [world, sheets] = await Promise.all([startPipelineWorld(), startSheetsServer()]);
  writeFileSync(join(dir, 'cascade.json'), JSON.stringify(world.config()));
  const key = `csk_${randomBytes(24).toString('base64url')}`;
  api = await spawnServer({
    ...world.env,
    CASCADE_CONFIG: join(dir, 'cascade.json'),
    CASCADE_DB: `file:${join(dir, 'cascade.db')}`,
    CASCADE_BOOTSTRAP_KEY: key,
    CASCADE_SHEETS_URL: sheets.url,
    CASCADE_SHEETS_DASHBOARD_MS: '200',
  });
  const token = 'ya29.addon-lead-token';
  sheets.auth.grant(token, 'rep@example.com');
  book = sheets.model.create(`leads${randomBytes(4).toString('hex')}`, [
    { title: 'Leads', values: [['Email'], ...Array.from({ length: N }, (_, i): CellValue[] => [`buyer${i}@sheetco${i}.com`])] },
  ]);
  gas = await AppsScript.start({ dir: (await builtAddon()).outDir, book, user: { token } });
  await gas.run('saveSettings', { apiUrl: api.url, apiKey: key });
}, 60_000);
afterAll(async () => {
  await gas?.close();
  if (api) {
    await new Promise<void>((resolve) => {
      api.child.removeAllListeners('exit');
      api.child.once('exit', () => resolve());
      api.child.kill('SIGTERM');
    });
  }
  await Promise.all([sheets?.close(), world?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

async function follow(start: ProgressView): Promise<ProgressView> {
  let p = start;
  for (let i = 0; i < 3000 && !settled(p); i++) {
    if (p.phase === 'uploading') p = await gas.run<ProgressView>('continueUpload');
    else {
      await new Promise((r) => setTimeout(r, 20));
      p = (await gas.run<ProgressView | null>('getProgress'))!;
    }
  }
  if (!settled(p)) throw new Error(`job not settled: ${JSON.stringify(p)}`);
  return p;
}

it('reads the workspace’s pipeline for the Qualify group', async () => {
  const info = await gas.run<PipelineInfo>('getPipeline');
  expect(info).toEqual({
    configured: true,
    steps: ['dedup', 'enrich', 'score', 'qualify', 'route', 'deliver', 'notify'],
    deliverTo: ['hubspot', 'webhook'],
    notifyTo: ['slack'],
    minScore: 50,
  });
});

it('runs a sheet job with lead fields, writes them as columns, and the inspector shows a row’s run; Replay resumes it at the failed step', async () => {
  world.receiver.outage(400);
  const start = await gas.run<ProgressView>('startJob', {
    sheetName: 'Leads',
    headerRow: 1,
    inputs: { email: 1 },
    fields: ['company.name', 'lead.score', 'lead.qualified', 'lead.reason', 'lead.owner'],
    pipeline: { deliver: true, notify: false },
  });
  const done = await follow(start);
  // Every run stopped at its deliver step (the webhook refused), so every row is flagged.
  expect(done.flagged).toBe(N);
  const tab = book.sheet('Leads')!;
  const [headers, ...rows] = tab.values(1, 1, N + 1, tab.columnCount);
  const col = (label: string) => headers!.indexOf(label);
  expect(col('ICP score')).toBeGreaterThan(0);
  expect(col('Qualified (AI)')).toBeGreaterThan(0);
  expect(rows.filter((r) => typeof r[col('ICP score')] === 'number')).toHaveLength(N);

  gas.host.spreadsheet.select(tab.sheetId, 3);
  const insp = await gas.run<RowInspection>('inspectRow');
  expect(insp).toMatchObject({ sheetName: 'Leads', row: 3, note: null });
  const lead = insp.lead!;
  expect(lead.steps.map((s) => s.step)).toEqual(['dedup', 'enrich', 'score', 'qualify', 'route', 'deliver']);
  expect(lead.steps.find((s) => s.step === 'deliver')).toMatchObject({ outcome: 'failed' });
  expect(lead.steps.find((s) => s.step === 'deliver')!.error).toMatch(/refused/);
  expect(lead).toMatchObject({ canReplay: true, failedStep: 'deliver' });
  const qualify = lead.steps.find((s) => s.step === 'qualify')!;
  // Asked of the model, its reason shows as its judgement; under the score floor, the rule's note is no judgement.
  if (qualify.outcome === 'done') expect(qualify).toMatchObject({ judgement: true, reason: expect.any(String) });
  else expect(qualify).toMatchObject({ outcome: 'skipped', judgement: false, reason: null });
  const llmCalls = world.llm.requests.length;

  world.receiver.outage(null);
  let after = await gas.run<LeadView>('replayLead', { jobId: lead.jobId, key: lead.key });
  for (let i = 0; i < 500 && (after.running || after.canReplay); i++) {
    await new Promise((r) => setTimeout(r, 20));
    after = await gas.run<LeadView>('inspectLead', { jobId: lead.jobId, key: lead.key });
  }
  expect(after).toMatchObject({ running: false, canReplay: false, failedStep: null });
  expect(after.steps.find((s) => s.step === 'deliver')).toMatchObject({ outcome: 'done', attempts: 2 });
  // Steps that succeeded were not run again: the model was not asked again.
  expect(world.llm.requests.length).toBe(llmCalls);
  expect(after.steps.filter((s) => s.step !== 'deliver' && s.step !== 'notify').every((s) => s.attempts === 1)).toBe(true);

  // Row 1 is the header: no lead.
  gas.host.spreadsheet.select(tab.sheetId, 1);
  expect((await gas.run<RowInspection>('inspectRow')).note).toMatch(/^Row 1 is above the rows the job sent/);
});
