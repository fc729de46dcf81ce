import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CellValue } from '../google/sheets/index.js';
import type { EstimateView, PlanInput, ProgressView, SidebarState } from '../../addon/src/contract.js';
import { spawnServer, terminate } from '../helpers/spawnServer.js';
import { startAddonHarness, type AddonHarness, type BoundAddon } from './helpers/addonHarness.js';

const N = 500;
const LIMITS = { batchRows: 200, uploadBudgetMs: 0, maxPayloadBytes: 10_000 };
const domain = (i: number) => `lead${i}.com`;
const email = (i: number) => `ann${i}@${domain(i)}`;
// One row in ten: the firmographics provider answers 500 until it "recovers".
const failing = new Set(Array.from({ length: N / 10 }, (_, i) => domain(i * 10)));

let stack: AddonHarness;
let a: BoundAddon & { sim: AddonHarness['sim']; apiGet: AddonHarness['apiGet'] };
beforeAll(async () => {
  stack = await startAddonHarness({
    providers: [
      { id: 'firmo', fields: ['company.name', 'company.industry'], input: 'domain', costPerMatch: 0.02, behaviour: { failFor: new Set(failing) } },
      { id: 'people', fields: ['person.title'], input: 'email', costPerCall: 0.005 },
    ],
  });
  const bound = await stack.open(
    [
      {
        title: 'Leads',
        values: [['Email', 'Website', 'Notes'], ...Array.from({ length: N }, (_, i): CellValue[] => [email(i), domain(i), i % 7 === 0 ? 'vip' : ''])],
      },
    ],
    LIMITS,
  );
  a = { ...bound, sim: stack.sim, apiGet: stack.apiGet };
});
afterAll(() => stack?.stop());

const tab = () => a.book.sheet('Leads')!;
const header = () => tab().values(1, 1, 1, tab().columnCount)[0]!;
const column = (title: string) => {
  const c = header().indexOf(title) + 1;
  expect(c, `column "${title}"`).toBeGreaterThan(0);
  return tab()
    .values(2, c, N + 1, c)
    .map((r) => r[0]);
};
/**
 * Stops the API as a deploy does and starts it again on the same port and database: whatever it kept in
 * memory (answers bought moments ago, the Google token) is gone, only what it stored remains.
 */
async function restartApi(): Promise<void> {
  const old = stack.api;
  await terminate(old);
  const fresh = await spawnServer({ ...old.env, PORT: new URL(old.url).port });
  // The harness holds this object: its apiGet and stop() follow the new process.
  Object.assign(old, fresh);
}
/** Provider requests that were answered (a match or a no-match): the ones that are paid for. */
const answered = () => a.sim.requests.filter((r) => r.status === 200 || r.status === 404).map((r) => `${r.provider}:${r.q}`);

describe('500 leads from the sidebar’s server functions to the sheet and back', () => {
  let plan: PlanInput;
  let first: ProgressView;

  it('proposes the inputs, estimates, and enriches the column; failed rows are flagged in the sheet', async () => {
    const state = await a.gas.run<SidebarState>('getSidebarState');
    expect(state.settings.keyHint).toMatch(/^csk_…/);
    expect(state.sheet).toMatchObject({ name: 'Leads', dataRows: N, proposed: { email: 1, domain: 2 } });

    plan = { sheetName: 'Leads', headerRow: 1, inputs: state.sheet.proposed, fields: ['company.name', 'company.industry', 'person.title'] };
    const estimate = await a.gas.run<EstimateView>('estimate', plan);
    expect(estimate).toMatchObject({ rows: N, cached: 0, invalid: 0, sampled: N });
    expect(estimate.expectedCostUsd).toBeGreaterThan(0);
    expect(a.sim.requests).toHaveLength(0);

    const started = await a.gas.run<ProgressView>('startJob', plan);
    expect(started).toMatchObject({ phase: 'uploading', total: N, uploaded: LIMITS.batchRows > 100 ? expect.any(Number) : 0 });
    first = await a.follow(started);
    expect(first.phase).toBe('done');
    expect(first.counts).toMatchObject({ total: N, failed: failing.size, invalid_input: 0, pending: 0, running: 0 });
    expect(first.flagged).toBe(failing.size);
    expect(first.sheet).toMatchObject({ state: 'done', written: N, pendingWrite: 0, orphaned: 0 });

    // What the API wrote through googleapis is in the grid the add-on reads.
    expect(header().slice(0, 7)).toEqual(['Email', 'Website', 'Notes', 'Company name', 'Industry', 'Job title', 'Cascade status']);
    const names = column('Company name');
    const status = column('Cascade status');
    for (let i = 0; i < N; i++) {
      if (failing.has(domain(i))) {
        expect(names[i]).toBeUndefined();
        // Short enough for a column: the status, then why.
        expect(String(status[i])).toMatch(/^failed · .+ answered HTTP 500$/);
      } else {
        expect(names[i]).toBe(`Lead${i}`);
        expect(status[i]).toBe('matched');
      }
    }
    // The user's own columns are untouched.
    expect(tab().value(2, 3)).toBe('vip');
  });

  it('sent the column in batches well inside the UrlFetch and execution limits', () => {
    const appends = a.gas.host.fetches.filter((f) => f.method === 'POST' && /\/v1\/jobs\/[^/]+\/rows$/.test(f.url));
    const create = a.gas.host.fetches.filter((f) => f.method === 'POST' && /\/v1\/jobs$/.test(f.url));
    expect(create).toHaveLength(1);
    // ~75-byte rows in 10 KB bodies: batches are cut by size before they reach 200 rows.
    expect(create.length + appends.length).toBeGreaterThan(Math.ceil(N / LIMITS.batchRows));
    for (const f of [...create, ...appends]) {
      expect(f.status).toBe(202);
      expect(f.requestBytes).toBeLessThanOrEqual(LIMITS.maxPayloadBytes);
    }
    // With no upload budget each execution sends one batch and returns: none comes near the 6 minutes.
    const uploads = a.gas.executions.filter((e) => e.fn === 'continueUpload' && a.gas.host.fetches.some((f) => f.exec === e.id && /\/rows$/.test(f.url)));
    for (const e of uploads) expect(a.gas.host.fetches.filter((f) => f.exec === e.id && /\/rows$/.test(f.url))).toHaveLength(1);
    expect(a.gas.executions.every((e) => e.ok)).toBe(true);
  });

  it('retries the flagged rows after an API restart once the provider recovers: every row filled, no answer bought twice', async () => {
    const paidBefore = answered();
    // Across a restart, only what was stored can keep the retry from buying again what the first run bought.
    await restartApi();
    a.sim.providers.get('firmo')!.behaviour.failFor = undefined;
    const retried = await a.gas.run<ProgressView>('retryFlagged', {});
    expect(retried.phase).toBe('running');
    const done = await a.follow(retried);
    expect(done.counts).toMatchObject({ total: N, matched: N, failed: 0 });
    expect(done.flagged).toBe(0);
    expect(done.sheet).toMatchObject({ state: 'done', pendingWrite: 0 });

    const names = column('Company name');
    const status = column('Cascade status');
    expect(names).toEqual(names.map((_, i) => `Lead${i}`));
    expect(status.every((s) => s === 'matched')).toBe(true);

    // Only the rows that had failed went back to the provider that had failed them; nothing answered was asked again.
    const paid = answered();
    expect(new Set(paid).size).toBe(paid.length);
    expect(paid.slice(paidBefore.length).sort()).toEqual([...failing].map((d) => `firmo:${d}`).sort());
    expect(done.costUsd).toBeCloseTo(N * 0.02 + N * 0.005, 6);
  });

  it('opens the dashboard tab, refreshed by the API with this job’s figures', async () => {
    const view = await a.gas.run<{ sheetName: string; refreshed: boolean }>('openDashboard');
    expect(view).toEqual({ sheetName: 'Cascade dashboard', refreshed: true });
    const dash = a.book.sheet('Cascade dashboard')!;
    expect(a.gas.host.spreadsheet.activeSheetId).toBe(dash.sheetId);
    const rows = dash.values(1, 1, dash.rowCount, 7);
    expect(rows.flat()).toContain(first.jobId);
    // The job section's provider rows hold the same call counts as GET /v1/metrics for the job (both runs, retry included).
    const metrics = await a.apiGet(`/v1/metrics?jobId=${first.jobId}`);
    for (const p of metrics.providers) {
      const row = rows.find((r) => r[0] === p.label);
      expect(row, p.label).toBeDefined();
      expect(row![4]).toBe(p.calls);
    }
    expect(metrics.providers.map((p: { provider: string }) => p.provider).sort()).toEqual(['firmo', 'people']);
  });
});
