import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDatabase } from '../../test/helpers/tempDatabase.js';
import { cacheStore, storedAnswers, type CachedAnswer } from '../storage/cache.js';
import { CacheLoader } from './cacheLoader.js';
import { ABSENT, ABSENT_TTL_MS, HotCache } from './hotCache.js';

const key = { providerId: 'acme', inputKey: 'domain=acme.com' };
const answer = (name: string, fetchedAt: number): CachedAnswer => ({ outcome: 'match', values: { 'company.name': name }, fetchedAt });

describe('the hot cache in front of the cache reads (a real libSQL file)', () => {
  const database = tempDatabase('hotcache');

  function loader(clock: { now: number; freshSince: number }) {
    return new CacheLoader(
      cacheStore(database().db).read,
      () => clock.freshSince,
      () => clock.now,
    );
  }
  const store = (workspaceId: string, a: CachedAnswer) => database().commit(storedAnswers.statements([{ workspaceId, ...key, ...a }]));

  it('a new answer for the workspace replaces the one held, and a late read of the old one does not bring it back', async () => {
    const clock = { now: 1000, freshSince: 0 };
    const cache = loader(clock);
    await store('ws', answer('Old', 100));
    expect(await cache.get('ws', key)).toEqual(answer('Old', 100));
    expect(cache.peek('ws', key)).toEqual(answer('Old', 100));
    // As the engine does once a bought answer is committed.
    await store('ws', answer('New', 200));
    cache.remember('ws', key, answer('New', 200));
    expect(cache.peek('ws', key)).toEqual(answer('New', 200));
    // A read that began before that commit and returns after it, with what it saw.
    cache.hot.set('ws', key, answer('Old', 100));
    expect(cache.peek('ws', key)).toEqual(answer('New', 200));
    expect(await cache.get('ws', key)).toEqual(answer('New', 200));
  });

  it('another workspace never sees it', async () => {
    const cache = loader({ now: 1000, freshSince: 0 });
    await store('ws', answer('Mine', 100));
    cache.remember('ws', key, answer('Mine', 100));
    expect(cache.peek('other', key)).toBeUndefined();
    expect(await cache.get('other', key)).toBeUndefined();
    // Its read found nothing, and says so from memory; still nothing of ws's.
    expect(cache.peek('other', key)).toBe(ABSENT);
    expect(cache.peek('ws', key)).toEqual(answer('Mine', 100));
  });

  it('"no answer" is never kept over an answer, is replaced by one, and is trusted for ABSENT_TTL_MS only', async () => {
    const clock = { now: 1000, freshSince: 0 };
    const cache = loader(clock);
    expect(await cache.get('ws', key)).toBeUndefined();
    expect(cache.peek('ws', key)).toBe(ABSENT);
    cache.remember('ws', key, answer('Bought', 1000));
    cache.hot.setAbsent('ws', key, 999);
    expect(cache.peek('ws', key)).toEqual(answer('Bought', 1000));

    const other = { providerId: 'globex', inputKey: 'domain=acme.com' };
    expect(await cache.get('ws', other)).toBeUndefined();
    clock.now += ABSENT_TTL_MS - 1;
    expect(cache.peek('ws', other)).toBe(ABSENT);
    clock.now += 1;
    expect(cache.peek('ws', other)).toBeUndefined();
  });

  it('an answer past its freshness is not returned, from memory or from the database', async () => {
    const clock = { now: 1000, freshSince: 0 };
    const cache = loader(clock);
    await store('ws', answer('Aging', 100));
    expect(await cache.get('ws', key)).toEqual(answer('Aging', 100));
    clock.freshSince = 101;
    expect(cache.peek('ws', key)).toBeUndefined();
    expect(await cache.get('ws', key)).toBeUndefined();
  });
});

describe('HotCache', () => {
  it('keeps at most `max` entries, dropping the least recently used', () => {
    const hot = new HotCache(2);
    const k = (i: number) => ({ providerId: 'p', inputKey: String(i) });
    hot.set('ws', k(1), answer('1', 1));
    hot.set('ws', k(2), answer('2', 2));
    expect(hot.get('ws', k(1), 0, 0)).toEqual(answer('1', 1));
    hot.set('ws', k(3), answer('3', 3));
    expect(hot.size).toBe(2);
    expect(hot.get('ws', k(2), 0, 0)).toBeUndefined();
    expect(hot.get('ws', k(1), 0, 0)).toEqual(answer('1', 1));
    expect(hot.get('ws', k(3), 0, 0)).toEqual(answer('3', 3));
  });
});

/** The hot cache as it was first written (a Map in order of use, a hit re-inserted at the end): the semantics HotCache keeps. */
class ModelCache {
  private readonly entries = new Map<string, CachedAnswer | { absentSince: number }>();
  constructor(readonly max: number) {}
  get size() {
    return this.entries.size;
  }
  get(ws: string, k: { providerId: string; inputKey: string }, freshSince: number, now: number) {
    const id = `${ws}\0${k.providerId}\0${k.inputKey}`;
    const held = this.entries.get(id);
    if (!held) return undefined;
    this.entries.delete(id);
    if ('absentSince' in held) {
      if (now - held.absentSince >= ABSENT_TTL_MS) return undefined;
      this.entries.set(id, held);
      return ABSENT;
    }
    if (held.fetchedAt < freshSince) return undefined;
    this.entries.set(id, held);
    return held;
  }
  set(ws: string, k: { providerId: string; inputKey: string }, answer: CachedAnswer) {
    const id = `${ws}\0${k.providerId}\0${k.inputKey}`;
    const held = this.entries.get(id);
    if (held && 'fetchedAt' in held && held.fetchedAt > answer.fetchedAt) return;
    this.keep(id, answer);
  }
  setAbsent(ws: string, k: { providerId: string; inputKey: string }, now: number) {
    const id = `${ws}\0${k.providerId}\0${k.inputKey}`;
    const held = this.entries.get(id);
    if (held && !('absentSince' in held)) return;
    this.keep(id, { absentSince: now });
  }
  private keep(id: string, held: CachedAnswer | { absentSince: number }) {
    this.entries.delete(id);
    this.entries.set(id, held);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
}

describe('HotCache against its model', () => {
  it('answers every sequence of reads, answers and misses as the Map in order of use does', () => {
    const slot = fc.record({ ws: fc.constantFrom('ws', 'other'), p: fc.constantFrom('a', 'b'), i: fc.integer({ min: 0, max: 5 }) });
    const op = fc.oneof(
      fc.record({
        op: fc.constant('get' as const),
        at: slot,
        freshSince: fc.integer({ min: 0, max: 50 }),
        now: fc.integer({ min: 0, max: 2 * ABSENT_TTL_MS }),
      }),
      fc.record({ op: fc.constant('set' as const), at: slot, fetchedAt: fc.integer({ min: 0, max: 100 }) }),
      fc.record({ op: fc.constant('absent' as const), at: slot, now: fc.integer({ min: 0, max: ABSENT_TTL_MS }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 80 }), (max, ops) => {
        const hot = new HotCache(max);
        const model = new ModelCache(max);
        for (const o of ops) {
          const k = { providerId: o.at.p, inputKey: `domain=${o.at.i}.com` };
          if (o.op === 'get') expect(hot.get(o.at.ws, k, o.freshSince, o.now)).toEqual(model.get(o.at.ws, k, o.freshSince, o.now));
          else if (o.op === 'set') {
            const a = answer(`v${o.fetchedAt}`, o.fetchedAt);
            hot.set(o.at.ws, k, a);
            model.set(o.at.ws, k, a);
          } else {
            hot.setAbsent(o.at.ws, k, o.now);
            model.setAbsent(o.at.ws, k, o.now);
          }
          expect(hot.size).toBe(model.size);
        }
        // What is held at the end, key by key (each read moves its entry in both alike).
        for (const ws of ['ws', 'other'])
          for (const p of ['a', 'b'])
            for (let i = 0; i <= 5; i++) {
              const k = { providerId: p, inputKey: `domain=${i}.com` };
              expect(hot.get(ws, k, 0, 0)).toEqual(model.get(ws, k, 0, 0));
            }
      }),
      { numRuns: 300 },
    );
  });
});
