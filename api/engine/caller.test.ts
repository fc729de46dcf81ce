import { afterAll, describe, expect, it } from 'vitest';
import { tempDatabase } from '../../test/helpers/tempDatabase.js';
import { testCaller } from '../../test/helpers/caller.js';
import { testProvider } from '../../test/helpers/provider.js';
import type { CallResult } from '../providers/types.js';
import { heldKey, type CallerDeps, type StepContext } from './caller.js';
import type { CachedAnswer } from '../storage/cache.js';
import { sleep } from '../clock.js';
import { storedAnswers } from '../storage/cache.js';
import { holdsStore } from '../storage/holds.js';
import { openDatabase } from '../storage/db.js';
import { startSqld, type Sqld } from '../../test/cluster/sqld.js';
import { startLossyProxy } from '../../test/helpers/lossyProxy.js';
import { until } from '../../test/helpers/until.js';

const newCaller = (extra: Partial<CallerDeps>) => testCaller(['acme'], extra);

it('buys nothing while commits are refused, and buys once they go through again', async () => {
  let calls = 0;
  const provider = testProvider('acme', {
    call: async () => {
      calls++;
      return { kind: 'match', status: 200, values: { 'company.name': 'Acme' } };
    },
  });
  let failing = true;
  const stored: string[] = [];
  const caller = newCaller({
    storeAnswer: async (call) => {
      stored.push(call.inputKey);
    },
    storageFailing: () => failing,
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

it('stores a real-time lane’s answer as one someone waits on (committed without the bulk gap), a bulk row’s not', async () => {
  const soon: boolean[] = [];
  const caller = newCaller({ storeAnswer: async (_call, waited) => void soon.push(waited) });
  const provider = testProvider('acme', { call: async () => ({ kind: 'match', status: 200, values: { 'company.name': 'Acme' } }) });
  for (const [i, realtime] of [false, true].entries()) {
    const lane = { realtime, workspace: 'ws', job: realtime ? '' : 'job_1' };
    await caller.step(provider, { domain: `s${i}.com` }, `domain=s${i}.com`, { workspace: 'ws', jobId: realtime ? null : 'job_1', segment: 'com', lane });
  }
  expect(soon).toEqual([false, true]);
});

it('tells reachability whether each request got an HTTP answer: a refusal of ours (no request sent) says nothing', async () => {
  const results: CallResult[] = [
    { kind: 'transient', code: 'provider_unavailable', message: 'connect ECONNREFUSED' },
    { kind: 'transient', status: 503, code: 'provider_unavailable', message: 'HTTP 503' },
    { kind: 'permanent', code: 'blocked_address', message: 'resolves to a private address' },
    { kind: 'no_match', status: 404 },
  ];
  const heard: boolean[] = [];
  const caller = newCaller({ reachability: { record: (answered) => heard.push(answered) } });
  const ctx: StepContext = { workspace: 'ws', jobId: 'job_1', segment: 'com', lane: { realtime: false, workspace: 'ws', job: 'job_1' } };
  for (const [i, result] of results.entries()) {
    const provider = testProvider('acme', { call: async () => result });
    await caller.step(provider, { domain: `r${i}.com` }, `domain=r${i}.com`, ctx);
  }
  // Unanswered, answered 503, (our own refusal: nothing), answered 404.
  expect(heard).toEqual([false, true, true]);
});

it("reads the cache for no purchase the row's claim holds: memory knows every answer stored for it", async () => {
  const reads: string[] = [];
  const stored = (name: string): CachedAnswer => ({ outcome: 'match', values: { 'company.name': name }, fetchedAt: 1 });
  const inMemory = new Map([['domain=known.com', stored('Known')]]);
  const caller = newCaller({
    cache: {
      get: async (_ws, key) => {
        reads.push(key.inputKey);
        return stored('Stored');
      },
      known: (_ws, key) => inMemory.get(key.inputKey),
    },
  });
  const provider = testProvider('acme');
  const held = new Set(['domain=held.com', 'domain=known.com'].map((k) => heldKey('acme', k)));
  const ctx: StepContext = { workspace: 'ws', jobId: 'job_1', segment: 'com', lane: { realtime: false, workspace: 'ws', job: 'job_1' }, held };
  expect(await caller.lookup(provider, 'domain=held.com', ctx)).toBeUndefined();
  expect(await caller.lookup(provider, 'domain=known.com', ctx)).toMatchObject({ kind: 'answer', values: { 'company.name': 'Known' }, cached: true });
  expect(reads).toEqual([]);
  // Another provider's answer for the same input is not held: read.
  expect(await caller.lookup(testProvider('other'), 'domain=held.com', ctx)).toMatchObject({ values: { 'company.name': 'Stored' } });
  expect(reads).toEqual(['domain=held.com']);
});

describe('holds across instances, for lookups outside any job', () => {
  const database = tempDatabase('caller-holds');
  function lookupCaller(calls: string[], worker: string) {
    const provider = testProvider('acme', {
      timeoutMs: 300,
      call: async (input) => {
        calls.push(`${worker}:${input.domain}`);
        await sleep(50);
        return { kind: 'match', status: 200, values: { 'company.name': `name of ${input.domain}` } };
      },
    });
    const store = holdsStore(database().db);
    const caller = newCaller({
      storeAnswer: ({ workspaceId, providerId, inputKey, values, at }) =>
        database().commit(storedAnswers.statements([{ workspaceId, providerId, inputKey, values, outcome: 'match', fetchedAt: at }])),
      holds: {
        shared: () => true,
        hold: (key, ttlMs) => store.hold(key, worker, ttlMs, 0),
        release: (key) => store.release(key, worker),
        onError: (err) => {
          throw err;
        },
      },
    });
    return { provider, caller };
  }
  const ctx: StepContext = { workspace: 'ws', jobId: null, segment: 'com', lane: { realtime: true, workspace: 'ws', job: '' } };

  it('two instances looking up the same answers at once buy each once; the other gets it stored', async () => {
    const calls: string[] = [];
    const [one, two] = [lookupCaller(calls, 'w1'), lookupCaller(calls, 'w2')];
    const ds = ['a.com', 'b.com', 'c.com'];
    const results = await Promise.all(ds.flatMap((d) => [one, two].map(({ caller, provider }) => caller.step(provider, { domain: d }, `domain=${d}`, ctx))));
    expect(calls.map((c) => c.split(':')[1]).sort()).toEqual(ds);
    for (const [i, r] of results.entries()) expect(r).toMatchObject({ kind: 'answer', values: { 'company.name': `name of ${ds[Math.floor(i / 2)]}` } });
  });

  it('a key held past the provider’s timeout (its holder stuck) is bought anyway, within the lookup’s deadline', async () => {
    const calls: string[] = [];
    const { caller, provider } = lookupCaller(calls, 'w1');
    // Another instance took the key and never stores an answer or lets go (its hold would run out only after 60 s).
    await holdsStore(database().db).hold({ workspaceId: 'ws', providerId: 'acme', inputKey: 'domain=stuck.com' }, 'w2', 60_000, 0);
    const started = performance.now();
    expect(await caller.step(provider, { domain: 'stuck.com' }, 'domain=stuck.com', ctx)).toMatchObject({ kind: 'answer', cached: false });
    expect(calls).toEqual(['w1:stuck.com']);
    // Not before the timeout: until then the holder may yet store it.
    expect(performance.now() - started).toBeGreaterThanOrEqual(provider.timeoutMs);
  });
});

describe('a hold statement that fails for a passing reason', () => {
  let sqld: Sqld | undefined;
  afterAll(() => sqld?.stop());

  // A CI run bought an answer twice: a waiting lookup's hold refused ("database is locked") and it bought around it.
  it('is looked at again as a held key: the answer the holder stores is the lookup’s, not bought twice', async () => {
    sqld = await startSqld();
    const direct = await openDatabase(sqld.url);
    // This instance's statements reach the server through a proxy that cuts the answers to its first three holds.
    const proxy = await startLossyProxy(sqld.url, (body) => body.includes('INSERT INTO held_purchases'), 3);
    const proxied = await openDatabase(proxy.url);
    try {
      const key = { workspaceId: 'ws', providerId: 'acme', inputKey: 'domain=held.com' };
      // Another instance holds the key: it is buying the answer.
      expect(await holdsStore(direct.db).hold(key, 'w2', 60_000, 0)).toEqual({ kind: 'mine' });
      const calls: string[] = [];
      const errors: unknown[] = [];
      const provider = testProvider('acme', {
        timeoutMs: 10_000,
        call: async (input) => {
          calls.push(input.domain!);
          return { kind: 'match', status: 200, values: { 'company.name': 'bought again' } };
        },
      });
      const store = holdsStore(proxied.db);
      const caller = newCaller({
        holds: {
          shared: () => true,
          hold: (k, ttlMs) => store.hold(k, 'w1', ttlMs, 0),
          release: (k) => store.release(k, 'w1'),
          onError: (err) => errors.push(err),
        },
      });
      const ctx: StepContext = { workspace: 'ws', jobId: null, segment: 'com', lane: { realtime: true, workspace: 'ws', job: '' } };
      const step = caller.step(provider, { domain: 'held.com' }, key.inputKey, ctx);
      await until('three holds to go unanswered, or a purchase', async () => proxy.dropped === 3 || calls.length > 0);
      // The holder stores what it bought; that ends its hold.
      await direct.commit(storedAnswers.statements([{ ...key, values: { 'company.name': 'Held Inc' }, outcome: 'match', fetchedAt: Date.now() }]));
      expect(await step).toMatchObject({ kind: 'answer', cached: true, values: { 'company.name': 'Held Inc' } });
      expect(calls).toEqual([]);
      expect(errors).toHaveLength(3);
    } finally {
      await proxied.close();
      await direct.close();
      await proxy.close();
    }
  });
});
