import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../api/demo/simServer.js';
import type { Cascade } from '../api/server.js';
import { openDatabase } from '../api/storage/db.js';
import { KEY_CACHE_TTL_MS, keysStore } from '../api/storage/keys.js';
import { startHarness, type Harness, type TestProvider } from './helpers/harness.js';

const DAY = 86_400_000;
const PROVIDERS: TestProvider[] = [{ id: 'firmo', fields: ['company.name'], costPerCall: 0.01 }];

/**
 * Issue 19: cached lookups are answered from memory (the hot cache, the key
 * cache). Through the real HTTP server on a libSQL file, with a clock the
 * test moves forward to age answers.
 */
describe('the cached path of POST /v1/enrich', () => {
  let h: Harness;
  let sim: SimServer;
  let cascade: Cascade;
  let keyA: string;
  let keyB: string;
  const clock = { offset: 0, now: () => Date.now() + clock.offset };

  beforeAll(async () => {
    h = await startHarness(PROVIDERS, {}, { log: () => {}, clock });
    ({ sim, cascade } = h);
    const keys = keysStore(cascade.database.db);
    keyA = await keys.create('ws-a', Date.now());
    keyB = await keys.create('ws-b', Date.now());
  });
  afterAll(() => h?.stop());

  async function enrich(key: string, domain: string) {
    const res = await fetch(`${cascade.url}/v1/enrich`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: { domain }, fields: ['company.name'] }),
    });
    return { status: res.status, body: (await res.json()) as any };
  }
  const calls = (domain: string) => sim.requests.filter((r) => r.q === domain).length;

  it("answers a repeat from the cache, free, and never with another workspace's answer", async () => {
    const first = await enrich(keyA, 'isolated.com');
    expect(first.body).toMatchObject({ status: 'matched', costUsd: 0.01, provenance: { 'company.name': { cached: false } } });
    expect(calls('isolated.com')).toBe(1);
    for (let i = 0; i < 3; i++) {
      const again = await enrich(keyA, 'isolated.com');
      expect(again.body).toMatchObject({ status: 'matched', costUsd: 0, values: first.body.values, provenance: { 'company.name': { cached: true } } });
    }
    expect(calls('isolated.com')).toBe(1);
    // The same input in workspace B: its own purchase, never A's answer from memory.
    const other = await enrich(keyB, 'isolated.com');
    expect(other.body).toMatchObject({ status: 'matched', costUsd: 0.01, provenance: { 'company.name': { cached: false } } });
    expect(calls('isolated.com')).toBe(2);
    expect((await enrich(keyB, 'isolated.com')).body).toMatchObject({ costUsd: 0, provenance: { 'company.name': { cached: true } } });
    expect(calls('isolated.com')).toBe(2);
  });

  it('buys again once the answer is past its freshness, and answers the new one from then on', async () => {
    const first = await enrich(keyA, 'aging.com');
    const firstAt = first.body.provenance['company.name'].fetchedAt;
    expect((await enrich(keyA, 'aging.com')).body.provenance['company.name']).toEqual({ provider: 'firmo', fetchedAt: firstAt, cached: true });
    expect(calls('aging.com')).toBe(1);
    clock.offset += 31 * DAY;
    const renewed = await enrich(keyA, 'aging.com');
    expect(renewed.body).toMatchObject({ costUsd: 0.01, provenance: { 'company.name': { cached: false } } });
    expect(calls('aging.com')).toBe(2);
    const renewedAt = renewed.body.provenance['company.name'].fetchedAt;
    expect(Date.parse(renewedAt)).toBeGreaterThan(Date.parse(firstAt));
    expect((await enrich(keyA, 'aging.com')).body.provenance['company.name']).toEqual({ provider: 'firmo', fetchedAt: renewedAt, cached: true });
    expect(calls('aging.com')).toBe(2);
  });

  it('refuses a revoked key at once, and an unknown one, after a valid key was let in', async () => {
    const keys = keysStore(cascade.database.db);
    const key = await keys.create('ws-a', Date.now());
    expect((await enrich(key, 'isolated.com')).status).toBe(200);
    expect((await enrich(key, 'isolated.com')).status).toBe(200);
    // Another store on the same database (as the server's own is): the revoke reaches the server's memory.
    expect((await keysStore(cascade.database.db).revoke(key)).revoked).toMatchObject({ workspaceId: 'ws-a', prefix: key.slice(0, 8) });
    expect(await enrich(key, 'isolated.com')).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect(await enrich(`${keyA}x`, 'isolated.com')).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect(await enrich('csk_never-issued', 'isolated.com')).toMatchObject({ status: 401 });
    expect((await enrich(keyA, 'isolated.com')).status).toBe(200);
  });

  it('a key revoked by another process is refused once KEY_CACHE_TTL_MS has passed', async () => {
    const url = h.dbUrl;
    let now = 1_000_000;
    const server = keysStore(cascade.database.db, () => now);
    const key = await server.create('ws-a', now);
    expect(await server.workspaceOf(key)).toBe('ws-a');
    // Its own connection, so its own memory: as `npm run keys -- revoke` beside a running server.
    const elsewhere = await openDatabase(url);
    try {
      expect((await keysStore(elsewhere.db).revoke(key.slice(0, 8))).revoked?.workspaceId).toBe('ws-a');
    } finally {
      await elsewhere.close();
    }
    now += KEY_CACHE_TTL_MS - 1;
    expect(await server.workspaceOf(key)).toBe('ws-a');
    now += 1;
    expect(await server.workspaceOf(key)).toBeUndefined();
  });
});
