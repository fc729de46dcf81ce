import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EstimateView, ProgressView, SidebarState } from '../../addon/src/contract.js';
import { AddonLimitsSchema } from '../../addon/src/core/limits.js';
import { TIME_LIMITS_MS } from '../../addon/emulator/runtime.js';
import { URLFETCH_LIMITS } from '../../addon/emulator/urlFetch.js';
import { startAddonHarness, type AddonHarness } from './helpers/addonHarness.js';

const N = 100_000;
const DEFAULTS = AddonLimitsSchema.parse({});

let stack: AddonHarness;
beforeAll(async () => {
  stack = await startAddonHarness({ providers: [{ id: 'firmo', fields: ['company.name'], input: 'domain' }] });
});
afterAll(() => stack?.stop());

// Personal emails: no configured provider can use them, so the API flags every row at submission and
// nothing is enriched: what is measured is the add-on reading and sending a 100,000-row column.
it('sends a 100,000-row column with the default limits: batches far inside UrlFetch’s limits, no execution near its 6 minutes', async () => {
  const { gas } = await stack.open([{ title: 'Leads', values: [['Email'], ...Array.from({ length: N }, (_, i) => [`someone.${i}@gmail.com`])] }]);
  const state = await gas.run<SidebarState>('getSidebarState');
  expect(state.sheet).toMatchObject({ dataRows: N, proposed: { email: 1 } });
  const plan = { sheetName: 'Leads', headerRow: 1, inputs: state.sheet.proposed, fields: ['company.name' as const] };

  const estimate = await gas.run<EstimateView>('estimate', plan);
  expect(estimate).toMatchObject({ rows: N, sampled: DEFAULTS.estimateSample, invalid: N, cached: 0 });

  let p = await gas.run<ProgressView>('startJob', plan);
  while (p.phase === 'uploading') p = await gas.run<ProgressView>('continueUpload');
  expect(p).toMatchObject({ uploaded: N, total: N });

  const job = await stack.apiGet(`/v1/jobs/${p.jobId}`);
  expect(job.counts).toMatchObject({ total: N, invalid_input: N });

  const sends = gas.host.fetches.filter((f) => f.method === 'POST' && /\/v1\/jobs(\/[^/]+\/rows)?$/.test(f.url));
  expect(sends).toHaveLength(N / DEFAULTS.batchRows);
  const biggest = Math.max(...sends.map((f) => f.requestBytes));
  expect(biggest).toBeLessThanOrEqual(DEFAULTS.maxPayloadBytes);
  expect(biggest).toBeLessThan(URLFETCH_LIMITS.payloadBytes / 100);
  // Every execution finished by itself: the emulator kills one that reaches Apps Script's limit.
  expect(gas.executions.every((e) => e.ok)).toBe(true);
  const uploads = gas.executions.filter((e) => e.fn === 'startJob' || e.fn === 'continueUpload');
  const slowest = Math.max(...gas.executions.map((e) => e.ms));
  console.log(
    `100,000 rows: ${sends.length} requests of ≤ ${Math.round(biggest / 1024)} KB in ${uploads.length} upload executions; ` +
      `slowest execution ${slowest} ms of ${TIME_LIMITS_MS.full}; estimate ${gas.executions.find((e) => e.fn === 'estimate')!.ms} ms`,
  );
});
