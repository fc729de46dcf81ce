import { afterAll, beforeAll, expect, it } from 'vitest';
import { domainRows, domains, startHarness, type Harness } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness([{ id: 'acme', fields: ['company.name'], behaviour: { latency: { medianMs: 1, sigma: 0.1 }, concurrency: 64 } }]);
});
afterAll(() => h.stop());

it('lets the event loop turn while it takes in a large batch of rows', async () => {
  // Work queued behind the batch (in production: answers to read, requests to send) runs before the batch is stored, not after all of it.
  const order: string[] = [];
  const created = h.cascade.engine.service.createJob({
    workspace: 'ws-test',
    job: { fields: ['company.name'], rows: domainRows(domains(5000)), predict: false },
  });
  void created.then(() => order.push('batch stored'));
  setImmediate(() => order.push('other work'));
  const { id } = await created;
  expect(order).toEqual(['other work', 'batch stored']);
  expect((await h.waitForJob(id)).counts.matched).toBe(5000);
});
