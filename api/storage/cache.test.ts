import { beforeAll, describe, expect, it } from 'vitest';
import { tempDatabase } from '../../test/helpers/tempDatabase.js';
import { cacheStore, storedAnswers, type CacheKey, type StoredAnswer } from './cache.js';

const PROVIDERS = ['acme', 'globex', 'initech'];

describe('cache', () => {
  const database = tempDatabase('cache', { once: true });

  beforeAll(async () => {
    const answers: StoredAnswer[] = [];
    for (let i = 0; i < 100; i++) {
      for (const [n, providerId] of PROVIDERS.entries()) {
        // Each provider answered a different part of the inputs; lead<i>'s answers are dated i.
        if ((i + n) % 3 === 0) continue;
        const matched = i % 2 === 0;
        answers.push({
          workspaceId: 'ws',
          providerId,
          inputKey: `domain=lead${i}.com`,
          outcome: matched ? 'match' : 'no_match',
          values: matched ? { 'company.name': `${providerId} ${i}` } : {},
          fetchedAt: i,
        });
      }
    }
    answers.push({
      workspaceId: 'other',
      providerId: 'acme',
      inputKey: 'domain=lead3.com',
      outcome: 'match',
      values: { 'company.name': 'not yours' },
      fetchedAt: 50,
    });
    await database().commit(storedAnswers.statements(answers));
  });

  const keysFor = (from: number, to: number): CacheKey[] =>
    Array.from({ length: to - from }, (_, i) => PROVIDERS.map((providerId) => ({ providerId, inputKey: `domain=lead${from + i}.com` }))).flat();

  /** What the store holds for these keys, as the test wrote it. */
  function expected(keys: CacheKey[], freshSince: number) {
    return keys.map(({ providerId, inputKey }) => {
      const i = Number(/lead(\d+)/.exec(inputKey)![1]);
      if ((i + PROVIDERS.indexOf(providerId)) % 3 === 0 || i < freshSince) return undefined;
      const matched = i % 2 === 0;
      return { outcome: matched ? 'match' : 'no_match', values: matched ? { 'company.name': `${providerId} ${i}` } : {}, fetchedAt: i };
    });
  }

  // A runner step asks for a few keys (one query for every provider); a submitted batch for many (one query per provider).
  it.each([
    ['a few keys', 60, 62],
    ['many keys', 0, 100],
  ])('finds exactly the fresh answers of this workspace, asked for %s', async (_label, from, to) => {
    const keys = keysFor(from, to);
    const found = await cacheStore(database().db).read('ws', keys, 40);
    expect(keys.map((k) => found.get(k))).toEqual(expected(keys, 40));
  });

  it('does not show one workspace the answers another bought', async () => {
    const key = { providerId: 'acme', inputKey: 'domain=lead3.com' };
    expect((await cacheStore(database().db).read('other', [key], 0)).get(key)?.values).toEqual({ 'company.name': 'not yours' });
    expect((await cacheStore(database().db).read('ws', [key], 0)).get(key)).toBeUndefined();
  });
});
