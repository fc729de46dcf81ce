import { describe, expect, it } from 'vitest';
import { testProvider } from '../../test/helpers/provider.js';
import type { Provider } from '../providers/types.js';
import { Ranking } from './order.js';
import { Stats } from './stats.js';

const provider = (id: string, costPerCall: number) => testProvider(id, { demo: true, costPerCall });

const ids = (order: readonly Provider[]) => order.map((p) => p.id);

describe('Ranking', () => {
  const cheap = provider('cheap', 0.01);
  const dear = provider('dear', 0.02);

  it('moves a provider down as soon as its answers say it rarely matches', () => {
    const stats = new Stats();
    const ranking = new Ranking([cheap, dear], stats);
    expect(ids(ranking.order('ws', 'com'))).toEqual(['cheap', 'dear']);
    // 1 match in 20 makes cheap's cost per match about 0.13, against dear's 0.04 on the prior.
    for (let i = 0; i < 20; i++) stats.record('ws', 'com', 'cheap', i === 0, 100);
    expect(ids(ranking.order('ws', 'com'))).toEqual(['dear', 'cheap']);
  });

  it('keeps each segment and workspace to its own figures', () => {
    const stats = new Stats();
    const ranking = new Ranking([cheap, dear], stats);
    for (let i = 0; i < 200; i++) stats.record('ws', 'de', 'cheap', false, 100);
    for (let i = 0; i < 200; i++) stats.record('ws', 'com', 'cheap', true, 100);
    expect(ids(ranking.order('ws', 'de'))).toEqual(['dear', 'cheap']);
    expect(ids(ranking.order('ws', 'com'))).toEqual(['cheap', 'dear']);
    expect(ids(ranking.order('other', 'de'))).toEqual(['cheap', 'dear']);
  });

  it("lets a segment's few answers decide where the provider's segments differ a lot, and pools them where they do not", () => {
    // Per call, strong in .com and weak elsewhere; against a per-match provider, whose cost per match is its price.
    const global = provider('global', 0.006);
    const eu: Provider = { ...provider('eu', 0), costPerMatch: 0.02 };
    const record = (stats: Stats, segment: string, answered: number, matches: number) => {
      for (let i = 0; i < answered; i++) stats.record('ws', segment, 'global', i < matches, 100);
    };
    const uneven = new Stats();
    record(uneven, 'com', 100, 75);
    record(uneven, 'de', 100, 20);
    // One match in six in .fr: $0.036 a match, dearer than eu. Pooled with .com's figures it would look like $0.015.
    record(uneven, 'fr', 6, 1);
    expect(ids(new Ranking([global, eu], uneven).order('ws', 'fr'))).toEqual(['eu', 'global']);

    const even = new Stats();
    record(even, 'com', 100, 50);
    record(even, 'de', 100, 50);
    // The same one in six, where every segment so far matched half the time: more likely luck than a weak region.
    record(even, 'fr', 6, 1);
    expect(ids(new Ranking([global, eu], even).order('ws', 'fr'))).toEqual(['global', 'eu']);
  });

  it('follows a manual order whatever the figures say', () => {
    const stats = new Stats();
    for (let i = 0; i < 50; i++) stats.record('ws', 'com', 'dear', false, 100);
    expect(ids(new Ranking([cheap, dear], stats, ['dear']).order('ws', 'com'))).toEqual(['dear', 'cheap']);
  });
});
