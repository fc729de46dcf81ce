import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SheetsModel, type CellValue } from '../google/sheets/index.js';
import { AppsScript } from '../../addon/emulator/runtime.js';
import type { EstimateView, LeadView, PlanInput, ProgressView, RowDetailView, RowInspection } from '../../addon/src/contract.js';
import type { PipelineInfo, RowResult } from '../../shared/index.js';
import { builtAddon } from './helpers/build.js';
import { CONFIGURED, FAKE_JOB_ID, FAKE_KEY, failedRun, startFakeLeadApi, type FakeLeadApi } from './helpers/fakeLeadApi.js';

/**
 * The add-on's side of the lead pipeline, in the emulator running the built
 * bundle, against a stand-in for the API's pipeline routes (helpers/fakeLeadApi):
 * which fields go where, what a job with lead fields sends, and the row
 * inspector reading the selected row.
 */
let api: FakeLeadApi;
let gas: AppsScript;
let model: SheetsModel;
const N = 6;
const tabs = (): { title: string; values: CellValue[][] }[] => [
  { title: 'Leads', values: [['Email', 'Website'], ...Array.from({ length: N }, (_, i): CellValue[] => [`ann${i}@lead${i}.com`, `lead${i}.com`])] },
  { title: 'Notes', values: [['Note'], ['x']] },
];

beforeAll(async () => {
  api = await startFakeLeadApi();
  model = new SheetsModel();
  const built = await builtAddon();
  gas = await AppsScript.start({ dir: built.outDir, book: model.create('lead-book', tabs()) });
  await gas.run('saveSettings', { apiUrl: api.url, apiKey: FAKE_KEY });
});
afterAll(async () => {
  await gas?.close();
  await api?.close();
});
beforeEach(() => {
  api.pipeline = CONFIGURED;
  api.requests.length = 0;
});

const plan = (fields: PlanInput['fields'], extra: Partial<PlanInput> = {}): PlanInput => ({
  sheetName: 'Leads',
  headerRow: 1,
  inputs: { email: 1, domain: 2 },
  fields,
  ...extra,
});
const sent = (method: string, path: string | RegExp) =>
  api.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
const select = (title: string, row: number, rows = 1) => {
  const sheet = gas.host.spreadsheet.book.sheet(title)!;
  gas.host.spreadsheet.activeSheetId = sheet.sheetId;
  gas.host.spreadsheet.select(sheet.sheetId, row, 1, rows, 1);
};

describe('pipeline info', () => {
  it('passes GET /v1/pipeline through, and reads an API without the route as no pipeline', async () => {
    expect(await gas.run<PipelineInfo>('getPipeline')).toEqual(CONFIGURED);
    api.pipeline = null;
    expect(await gas.run<PipelineInfo>('getPipeline')).toEqual({ configured: false, steps: [], deliverTo: [], notifyTo: [], minScore: null });
    expect(sent('GET', '/v1/pipeline')).toHaveLength(2);
  });
});

describe('lead fields are not estimable or lookup-able', () => {
  it('prices the enrichment fields only, and says the pipeline is not in the figures', async () => {
    const est = await gas.run<EstimateView>('estimate', plan(['company.name', 'lead.score', 'lead.qualified']));
    expect(sent('POST', '/v1/estimate').map((r) => r.body.fields)).toEqual([['company.name']]);
    expect(est).toMatchObject({ rows: N, pipelineNotPriced: true, sampled: N });

    const plain = await gas.run<EstimateView>('estimate', plan(['company.name']));
    expect(plain.pipelineNotPriced).toBe(false);
    expect(sent('POST', '/v1/estimate')).toHaveLength(2);
  });

  it('asks nothing of /v1/estimate for lead fields alone, and still counts the rows', async () => {
    const est = await gas.run<EstimateView>('estimate', plan(['lead.score']));
    expect(est).toEqual({ rows: N, invalid: 0, cached: 0, expectedCostUsd: 0, maxCostUsd: 0, sampled: N, pipelineNotPriced: true });
    expect(sent('POST', '/v1/estimate')).toHaveLength(0);
  });

  it('=CASCADE() refuses a lead field without a request, saying where it is made', async () => {
    await expect(gas.customFunction('CASCADE', 'lead1.com', 'lead.score')).rejects.toThrow(/made by the lead pipeline.*Qualify/);
    expect(api.requests).toHaveLength(0);
  });
});

describe('a job with lead fields', () => {
  it('sends the lead fields with their columns and pipeline {deliver, notify} as the user set them; a plain job sends no pipeline', async () => {
    const p = await gas.run<ProgressView>('startJob', plan(['company.name', 'lead.score', 'lead.qualified'], { pipeline: { deliver: true, notify: false } }));
    expect(p.jobId).toBe(FAKE_JOB_ID);
    const body = sent('POST', '/v1/jobs')[0]!.body;
    expect(body.fields).toEqual(['company.name', 'lead.score', 'lead.qualified']);
    expect(body.pipeline).toEqual({ deliver: true, notify: false });
    // Lead fields get columns like any field, headed with the catalogue's label.
    expect(body.sheet.columns).toEqual({ 'company.name': 'Company name', 'lead.score': 'ICP score', 'lead.qualified': 'Qualified (AI)' });
    expect(body.rows).toHaveLength(N);

    await gas.run('startJob', plan(['lead.score']));
    expect(sent('POST', '/v1/jobs')[1]!.body.pipeline).toEqual({ deliver: false, notify: false });
    await gas.run('startJob', plan(['company.name'], { pipeline: { deliver: true, notify: true } }));
    expect(sent('POST', '/v1/jobs')[2]!.body).not.toHaveProperty('pipeline');
  });

  it('says what to do when the workspace has no pipeline (409 pipeline_not_configured)', async () => {
    api.pipeline = { configured: false, steps: [], deliverTo: [], notifyTo: [], minScore: null };
    await expect(gas.run('startJob', plan(['lead.score']))).rejects.toThrow(/no lead pipeline configured.*untick them/);
  });
});

describe('row inspector', () => {
  let jobId: string;
  beforeAll(async () => {
    // A lead job on Leads, then a plain one on the same tab: the inspector still finds the lead job's runs.
    api.pipeline = CONFIGURED;
    jobId = (await gas.run<ProgressView>('startJob', plan(['lead.score', 'lead.qualified', 'lead.reason']))).jobId;
    api.leads.set(`${jobId}.3`, failedRun(jobId, '3'));
    await gas.run('startJob', plan(['company.name']));
  });

  it('shows the selected row’s run: each step, its figures, who did it, the failure, the model’s reason as its judgement', async () => {
    select('Leads', 3);
    const insp = await gas.run<RowInspection>('inspectRow');
    expect(sent('GET', /^\/v1\/leads\//).map((r) => r.path)).toEqual([`/v1/leads/${jobId}.3`]);
    expect(insp).toMatchObject({ sheetName: 'Leads', row: 3, selectedRows: 1, note: null });
    const lead = insp.lead!;
    expect(lead.steps.map((s) => [s.step, s.outcome])).toEqual([
      ['enrich', 'done'],
      ['score', 'done'],
      ['qualify', 'done'],
      ['route', 'done'],
      ['deliver', 'failed'],
    ]);
    const qualify = lead.steps.find((s) => s.step === 'qualify')!;
    expect(qualify).toMatchObject({
      judgement: true,
      reason: 'Mid-size SaaS in a target country',
      duration: '1.2 s',
      cost: '$0.0004',
      by: 'demo-llm (gpt-4o-mini)',
    });
    expect(lead.steps.find((s) => s.step === 'deliver')).toMatchObject({ error: 'HubSpot answered HTTP 502', label: 'Write to CRM' });
    expect(lead).toMatchObject({ canReplay: true, failedStep: 'deliver', summary: 'Stopped at Write to CRM', running: false });
  });

  it('Replay retries that row’s key alone, with a fresh token first, and shows the run going again', async () => {
    api.requests.length = 0;
    const after = await gas.run<LeadView>('replayLead', { jobId, key: '3' });
    expect(sent('POST', `/v1/jobs/${jobId}/retry`).map((r) => r.body)).toEqual([{ keys: ['3'] }]);
    expect(sent('PUT', `/v1/jobs/${jobId}/token`)).toHaveLength(1);
    expect(after).toMatchObject({ running: true, canReplay: false });
    const settled = await gas.run<LeadView>('inspectLead', { jobId, key: '3' });
    expect(settled).toMatchObject({ running: false, canReplay: false, failedStep: null, summary: 'Done' });
    expect(settled.steps.find((s) => s.step === 'deliver')).toMatchObject({ outcome: 'done', attempts: 2, detail: 'CRM record 901' });
  });

  it('explains a row with nothing to show: in no job’s results, the header, another tab, and the first of a multi-row selection', async () => {
    select('Leads', 5, 3);
    const missing = await gas.run<RowInspection>('inspectRow');
    expect(missing).toMatchObject({ row: 5, selectedRows: 3, lead: null, detail: null });
    // No lead run (404), and the later plain job has no row 5 either.
    expect(missing.note).toMatch(/^Row 5 has no result: it was empty/);

    select('Leads', 1);
    expect((await gas.run<RowInspection>('inspectRow')).note).toMatch(/^Row 1 is above the rows the job sent/);

    select('Notes', 2);
    const other = await gas.run<RowInspection>('inspectRow');
    expect(other).toMatchObject({ sheetName: 'Notes', row: 2, lead: null });
    expect(other.note).toMatch(/No recent Cascade job has sent row 2 of “Notes”/);
  });

  it('refuses a malformed lead reference from the sidebar', async () => {
    await expect(gas.run('inspectLead', { jobId: '../x', key: '3' })).rejects.toThrow(/jobId: a job id/);
  });
});

describe('a tab enriched without lead fields', () => {
  const fields: PlanInput['fields'] = ['company.name', 'company.industry', 'person.title'];
  const fetchedAt = '2025-01-02T03:04:05.000Z';
  const flagged = (key: string): RowResult => ({
    key,
    status: 'failed',
    values: { 'company.name': 'Lead Co', 'person.title': 'Head of Growth' },
    sources: { 'company.name': 'firmo', 'person.title': 'gpt' },
    provenance: {
      'company.name': { provider: 'firmo', fetchedAt, cached: true },
      'person.title': { provider: 'gpt', fetchedAt, cached: false, predicted: true, confidence: 0.7 },
    },
    error: {
      code: 'provider_unavailable',
      message: 'Industry Oracle: HTTP 503 after 4 attempts (the provider was down); a retry asks it again, and only it',
    },
  });
  let fresh: AppsScript;
  let jobId: string;
  beforeAll(async () => {
    fresh = await AppsScript.start({ dir: (await builtAddon()).outDir, book: model.create('plain-book', tabs()) });
    await fresh.run('saveSettings', { apiUrl: api.url, apiKey: FAKE_KEY });
    jobId = (await fresh.run<ProgressView>('startJob', plan(fields))).jobId;
    api.results.set(jobId, [flagged('4')]);
    api.labels = { firmo: 'Firmographics Global', oracle: 'Industry Oracle', gpt: 'GPT guesser' };
  });
  afterAll(() => fresh?.close());

  it('shows the row’s detail: each value with its provider’s label, cached, the prediction, what is missing, the flag in full', async () => {
    fresh.host.spreadsheet.select(fresh.host.spreadsheet.active(), 4);
    const insp = await fresh.run<RowInspection>('inspectRow');
    // One row asked by its key; no lead run looked for: the job has no lead fields.
    expect(sent('GET', `/v1/jobs/${jobId}/results`)).toHaveLength(1);
    expect(sent('GET', /^\/v1\/leads\//)).toHaveLength(0);
    expect(insp).toMatchObject({ row: 4, lead: null, note: null });
    expect(insp.detail).toEqual({
      jobId,
      key: '4',
      status: 'failed',
      running: false,
      summary: 'Failed, with 2 of 3 fields found',
      values: [
        {
          field: 'company.name',
          label: 'Company name',
          value: 'Lead Co',
          provider: 'Firmographics Global',
          cached: true,
          predicted: false,
          confidence: null,
          fetchedAt,
        },
        {
          field: 'person.title',
          label: 'Job title',
          value: 'Head of Growth',
          provider: 'GPT guesser',
          cached: false,
          predicted: true,
          confidence: '70%',
          fetchedAt,
        },
      ],
      missing: [{ field: 'company.industry', label: 'Industry' }],
      error: flagged('4').error,
      canRetry: true,
      hint: null,
    });
    // The labels are kept for a while: the next look asks the API for the row only.
    api.requests.length = 0;
    await fresh.run<RowInspection>('inspectRow');
    expect(sent('GET', '/v1/metrics')).toHaveLength(0);
  });

  it('Retry re-queues that row’s key alone, with a fresh token first, and shows it going again', async () => {
    api.requests.length = 0;
    const after = await fresh.run<RowDetailView>('retryRow', { jobId, key: '4' });
    expect(sent('POST', `/v1/jobs/${jobId}/retry`).map((r) => r.body)).toEqual([{ keys: ['4'] }]);
    expect(sent('PUT', `/v1/jobs/${jobId}/token`)).toHaveLength(1);
    expect(after).toMatchObject({ status: 'running', running: true, canRetry: false, error: null, summary: 'Running…' });
    // Answered this time.
    const row = api.results.get(jobId)![0]!;
    Object.assign(row, {
      status: 'matched',
      values: { ...row.values, 'company.industry': 'Software' },
      sources: { ...row.sources, 'company.industry': 'oracle' },
      provenance: { ...row.provenance, 'company.industry': { provider: 'oracle', fetchedAt, cached: false } },
    });
    const settled = await fresh.run<RowDetailView>('inspectResult', { jobId, key: '4' });
    expect(settled).toMatchObject({ status: 'matched', running: false, canRetry: false, missing: [], summary: 'Matched: every field found' });
    expect(settled.values.find((v) => v.field === 'company.industry')).toMatchObject({ value: 'Software', provider: 'Industry Oracle' });
  });

  it('says why a row of the job has no result, and refuses a malformed reference', async () => {
    fresh.host.spreadsheet.select(fresh.host.spreadsheet.active(), 5);
    expect((await fresh.run<RowInspection>('inspectRow')).note).toMatch(/^Row 5 has no result: it was empty when the job sent its rows/);
    await expect(fresh.run('inspectResult', { jobId, key: '9' })).rejects.toThrow(`The Cascade API has no row 9 in job ${jobId}.`);
    await expect(fresh.run('retryRow', { jobId: 'job 1', key: '4' })).rejects.toThrow(/jobId: a job id/);
  });
});
