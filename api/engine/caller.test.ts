import { expect, it } from 'vitest';
import { EngineConfigSchema } from '../config/schema.js';
import type { Provider } from '../providers/types.js';
import { Budgets } from './budget.js';
import { Caller, type StepContext } from './caller.js';
import { sleep, systemClock } from '../clock.js';
import { ProviderGate } from '../flow/gate.js';
import { Stats } from './stats.js';

it('buys nothing while commits are refused, and buys once they go through again', async () => {
  let calls = 0;
  const provider: Provider = {
    id: 'acme',
    label: 'Acme',
    demo: true,
    inputs: ['domain'],
    fields: ['company.name'],
    costPerCall: 0.01,
    costPerMatch: 0,
    timeoutMs: 1000,
    call: async () => {
      calls++;
      return { kind: 'match', status: 200, values: { 'company.name': 'Acme' } };
    },
  };
  const engine = EngineConfigSchema.parse({});
  let failing = true;
  const stored: string[] = [];
  const caller = new Caller({
    gates: new Map([['acme', new ProviderGate({ concurrency: 2, initialConcurrency: 2, maxConcurrency: 2, clock: systemClock })]]),
    cache: { get: async () => undefined },
    storeAnswer: async (call) => {
      stored.push(call.inputKey);
    },
    recordCall: async () => {},
    storageFailing: () => failing,
    countCacheHit: () => {},
    stats: new Stats(),
    budgets: new Budgets(),
    isCancelled: () => false,
    engine,
    clock: systemClock,
  });
  const ctx: StepContext = { workspace: 'ws', jobId: 'job_1', segment: 'com', lane: { realtime: false, workspace: 'ws', job: 'job_1' } };

  const step = caller.step(provider, { domain: 'acme.com' }, 'domain=acme.com', ctx);
  // Longer than a purchase waits between looks: had it not waited, it would have bought by now.
  await sleep(600);
  expect(calls).toBe(0);
  failing = false;
  expect(await step).toMatchObject({ kind: 'answer', outcome: 'match', values: { 'company.name': 'Acme' } });
  expect(calls).toBe(1);
  expect(stored).toEqual(['domain=acme.com']);
});
