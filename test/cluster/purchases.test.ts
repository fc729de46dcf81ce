import { createClient } from '@libsql/client';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, systemClock } from '../../api/clock.js';
import { EngineConfigSchema } from '../../api/config/schema.js';
import { startSimServer, type SimServer } from '../../api/demo/simServer.js';
import { Budgets } from '../../api/engine/budget.js';
import { Caller, type StepContext } from '../../api/engine/caller.js';
import { Stats } from '../../api/engine/stats.js';
import { ProviderGate } from '../../api/flow/gate.js';
import type { Provider } from '../../api/providers/types.js';
import { storedAnswers } from '../../api/storage/cache.js';
import { openDatabase, type Database } from '../../api/storage/db.js';
import { membersStore } from '../../api/storage/members.js';
import { purchaseClaims, purchasesStore } from '../../api/storage/purchases.js';
import { domainRows, domains, rawConfig, simProviders, type TestProvider } from '../helpers/harness.js';
import { spawnServer, type Spawned } from '../helpers/spawnServer.js';
import { startSqld, type Sqld } from './sqld.js';

// Cross-instance purchase dedup (issue 20): two instances about to buy the same answer, one buys, the other waits for it.

const until = async (what: string, cond: () => boolean | Promise<boolean>, ms = 40_000) => {
  const giveUpAt = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('claims against a real libSQL server', () => {
  let sqld: Sqld;
  let database: Database;
  beforeAll(async () => {
    sqld = await startSqld();
    database = await openDatabase(sqld.url);
  });
  afterAll(async () => {
    await database?.close();
    sqld?.stop();
  });

  // Long enough that a busy machine's late heartbeat is no death.
  const DEAD = 1500;
  const self = (id: string) => ({ id, host: 'test', pid: 1 });
  const key = (inputKey: string) => ({ workspaceId: 'ws', providerId: 'acme', inputKey });

  it('one member holds a key; another takes it over once the claim is given up, runs out, or its holder dies; a stored answer is handed over', async () => {
    const members = membersStore(database.db);
    const store = purchasesStore(database.db);
    await members.beat(self('a'), DEAD);
    await members.beat(self('b'), DEAD);
    const claim = (holder: string, k: string, ttlMs = 60_000) => store.claim([{ ...key(k), ttlMs }], holder, DEAD, 0).then(([s]) => s!);

    expect(await claim('a', 'k1')).toEqual({ kind: 'mine' });
    expect(await claim('b', 'k1')).toEqual({ kind: 'held', holder: 'a' });
    expect(await store.look([key('k1')], 'b', DEAD, 0)).toEqual([{ kind: 'held', holder: 'a' }]);
    // Given up: released, free to the other.
    await store.release([key('k1')], 'a');
    expect(await store.look([key('k1')], 'b', DEAD, 0)).toEqual([{ kind: 'free' }]);
    expect(await claim('b', 'k1')).toEqual({ kind: 'mine' });
    // A release by one that no longer holds it changes nothing.
    await store.release([key('k1')], 'a');
    expect(await claim('a', 'k1')).toEqual({ kind: 'held', holder: 'b' });

    // Run out: a live holder's claim past its expiry.
    expect(await claim('a', 'k2', 400)).toEqual({ kind: 'mine' });
    expect(await claim('b', 'k2')).toEqual({ kind: 'held', holder: 'a' });
    await sleep(500);
    await members.beat(self('a'), DEAD);
    expect(await claim('b', 'k2')).toEqual({ kind: 'mine' });

    // Stored: the answer comes back instead of a claim, whoever holds it.
    expect(await claim('a', 'k3')).toEqual({ kind: 'mine' });
    await database.commit(
      storedAnswers.statements([{ workspaceId: 'ws', providerId: 'acme', inputKey: 'k3', outcome: 'match', values: { x: 1 }, fetchedAt: Date.now() }]),
    );
    expect(await claim('b', 'k3')).toMatchObject({ kind: 'stored', answer: { outcome: 'match', values: { x: 1 } } });

    // Died: a holds k4 and stops heartbeating; b, still beating, takes it over once a is dead, whatever its expiry.
    expect(await claim('a', 'k4')).toEqual({ kind: 'mine' });
    expect(await claim('b', 'k4')).toEqual({ kind: 'held', holder: 'a' });
    await sleep(DEAD + 100);
    await members.beat(self('b'), DEAD);
    expect(await claim('b', 'k4')).toEqual({ kind: 'mine' });
    await members.leave('a');
    await members.leave('b');
  });

  // Two engines' callers on one database, with the engine's wiring of purchases, and a provider taking 300 ms.
  const errors: unknown[] = [];
  function member(id: string, calls: string[], hang = false) {
    const provider: Provider = {
      id: 'acme',
      label: 'Acme',
      demo: true,
      inputs: ['domain'],
      fields: ['company.name'],
      costPerCall: 0.01,
      costPerMatch: 0,
      timeoutMs: 1000,
      call: async (input) => {
        calls.push(`${id}:${input.domain}`);
        // A holder killed mid-purchase: its request never comes back.
        if (hang) await new Promise(() => {});
        await sleep(300);
        return { kind: 'match', status: 200, values: { 'company.name': `name of ${input.domain}` } };
      },
    };
    const claims = purchaseClaims(purchasesStore(database.db), { holder: id, deadAfterMs: DEAD, freshSince: () => 0 });
    const caller = new Caller({
      gates: new Map([['acme', new ProviderGate({ concurrency: 4, initialConcurrency: 4, maxConcurrency: 4, clock: systemClock })]]),
      cache: { get: async () => undefined },
      storeAnswer: ({ workspaceId, providerId, inputKey, values, outcome, at }) =>
        database.commit(storedAnswers.statements([{ workspaceId, providerId, inputKey, values, outcome: outcome as 'match', fetchedAt: at }])),
      recordCall: async () => {},
      storageFailing: () => false,
      countCacheHit: () => {},
      stats: new Stats(),
      budgets: new Budgets(),
      isCancelled: () => false,
      engine: EngineConfigSchema.parse({}),
      clock: systemClock,
      purchases: {
        ...claims,
        shared: () => true,
        onError: (err) => void errors.push(err),
      },
    });
    return { provider, caller };
  }
  const ctx: StepContext = { workspace: 'ws2', jobId: null, segment: 'com', lane: { realtime: false, workspace: 'ws2', job: '' } };

  it('two instances asking for the same answers at once buy each once; the other gets it as a cache hit', async () => {
    const members = membersStore(database.db);
    const beat = () => Promise.all([members.beat(self('m1'), DEAD), members.beat(self('m2'), DEAD)]);
    await beat();
    const beating = setInterval(() => void beat(), 100);
    const calls: string[] = [];
    const [one, two] = [member('m1', calls), member('m2', calls)];
    const ds = Array.from({ length: 20 }, (_, i) => `d${i}.com`);
    const results = await Promise.all(ds.flatMap((d) => [one, two].map(({ caller, provider }) => caller.step(provider, { domain: d }, `domain=${d}`, ctx))));
    expect(calls.map((c) => c.split(':')[1]).sort()).toEqual([...ds].sort());
    expect(results.every((r) => r.kind === 'answer')).toBe(true);
    expect(results.filter((r) => r.kind === 'answer' && !r.cached)).toHaveLength(ds.length);
    for (const [i, r] of results.entries()) expect(r).toMatchObject({ values: { 'company.name': `name of ${ds[Math.floor(i / 2)]}` } });
    // Every claim was released.
    expect((await database.client.execute("SELECT count(*) AS n FROM purchases WHERE workspace_id = 'ws2'")).rows[0]!.n).toBe(0);
    expect(errors).toEqual([]);
    clearInterval(beating);
    await members.leave('m1');
    await members.leave('m2');
  });

  it('a holder killed mid-purchase: the other waits, without buying, until the holder is declared dead, then buys it', async () => {
    const members = membersStore(database.db);
    await members.beat(self('k1'), DEAD);
    await members.beat(self('k2'), DEAD);
    // k2 keeps heartbeating; k1 stops, as a killed instance does.
    const beating = setInterval(() => void members.beat(self('k2'), DEAD), 100);
    try {
      const calls: string[] = [];
      const [killed, survivor] = [member('k1', calls, true), member('k2', calls)];
      void killed.caller.step(killed.provider, { domain: 'crash.com' }, 'domain=crash.com', { ...ctx, workspace: 'ws3' });
      await until('the killed holder to send its request', () => calls.length === 1);
      const started = performance.now();
      const answer = await survivor.caller.step(survivor.provider, { domain: 'crash.com' }, 'domain=crash.com', { ...ctx, workspace: 'ws3' });
      const waitedMs = performance.now() - started;
      expect(answer).toMatchObject({ kind: 'answer', cached: false, values: { 'company.name': 'name of crash.com' } });
      // One request by each: the survivor's only after the holder was dead (its claim would have run for 6 s).
      expect(calls).toEqual(['k1:crash.com', 'k2:crash.com']);
      expect(waitedMs).toBeGreaterThan(DEAD - 150);
      expect(waitedMs).toBeLessThan(DEAD + 2500);
      expect(errors).toEqual([]);
    } finally {
      clearInterval(beating);
      await members.leave('k2');
    }
  });
});

describe('instances on one sqld, each sent the same rows', () => {
  const KEY = 'csk_cluster_purchases_key_0123456789';
  const METRICS_TOKEN = 'cluster-purchases-metrics-token';
  const N = 300;
  let sqld: Sqld | undefined;
  let sim: SimServer | undefined;
  let instances: Spawned[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'cascade-purchases-'));
  afterAll(async () => {
    for (const s of instances) s.child.kill('SIGKILL');
    await sim?.close();
    sqld?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('three instances enrich the same rows at the same time: each answer is bought once, at the provider, and every job is right', async () => {
    const providers: TestProvider[] = [
      { id: 'a', fields: ['company.name'], costPerCall: 0.001, concurrency: 50, behaviour: { latency: { medianMs: 300, sigma: 0.1 } } },
      { id: 'b', fields: ['company.employees'], costPerCall: 0.001, concurrency: 50, behaviour: { latency: { medianMs: 300, sigma: 0.1 } } },
    ];
    sqld = await startSqld();
    sim = await startSimServer(simProviders(providers));
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(rawConfig(sim.url, providers, { engine: { pollMs: 100, retryDelaysMs: [20, 40, 80] } })));
    const env = { CASCADE_CONFIG: configPath, CASCADE_DB: sqld.url, CASCADE_BOOTSTRAP_KEY: KEY, CASCADE_METRICS_TOKEN: METRICS_TOKEN };
    instances = await Promise.all([spawnServer(env), spawnServer(env), spawnServer(env)]);
    const call = async (s: Spawned, path: string, body?: unknown) => {
      const res = await fetch(`${s.url}${path}`, {
        method: body ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      });
      expect(res.status, `${path} on ${s.url}`).toBeLessThan(300);
      return res.json() as Promise<any>;
    };
    // Each must count the others before the rows go in: alone, an instance buys without claiming.
    const membersSeen = async (s: Spawned) => {
      const text = await (await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
      return Number(/^cascade_cluster_members (\d+)$/m.exec(text)?.[1]);
    };
    await until('every instance to see three members', async () => (await Promise.all(instances.map(membersSeen))).every((n) => n === 3));

    const body = { fields: ['company.name', 'company.employees'], rows: domainRows(domains(N)) };
    const jobs = await Promise.all(instances.map((s) => call(s, '/v1/jobs', body)));
    const done: any[] = [];
    await until(
      'every job to finish',
      async () => {
        done.length = 0;
        for (const [i, j] of jobs.entries()) done.push(await call(instances[i]!, `/v1/jobs/${j.id}`));
        return done.every((j) => j.status !== 'running');
      },
      60_000,
    );
    for (const j of done) expect(j).toMatchObject({ status: 'done', counts: { total: N, matched: N } });

    // Bought: answered (a 429 or a failure is not billed, and is asked again).
    const asked = sim.requests.filter((r) => r.status === 200).map((r) => `${r.provider}|${r.q}`);
    const twice = asked.length - new Set(asked).size;
    const others = sim.requests.filter((r) => r.status !== 200);
    console.log(
      `purchases: ${N} rows × 2 providers sent to each of 3 instances: ${asked.length} answers bought at the providers, ${twice} bought twice; ` +
        `${others.length} requests not answered (${[...new Set(others.map((r) => r.status))].join(', ')})`,
    );
    // Why, if any was: a member declared dead (a heartbeat held up past the dead-after time on a loaded machine) loses its claims.
    if (twice > 0)
      for (const s of instances)
        console.log(
          s
            .output()
            .split('\n')
            .filter((l) => /dead|claim|busy/.test(l))
            .join('\n'),
        );
    expect(new Set(asked).size).toBe(2 * N);
    expect(twice).toBe(0);
    const db = createClient({ url: sqld.url });
    expect((await db.execute('SELECT count(*) AS n FROM purchases')).rows[0]!.n).toBe(0);
    db.close();
  }, 120_000);
});
