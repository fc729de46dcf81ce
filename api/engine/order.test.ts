import { describe, expect, it } from 'vitest';
import { testProvider } from '../../test/helpers/provider.js';
import type { Provider } from '../providers/types.js';
import { expectedMatchRate, Ranking } from './order.js';
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

  describe('segments by TLD and public suffix (issue 19)', () => {
    // Per call, so its cost per match follows its rate: $0.0075 at 80%, $0.06 at 10%; against one at $0.02 a match.
    const global = provider('global', 0.006);
    const perMatch: Provider = { ...provider('per-match', 0), costPerMatch: 0.02 };
    const record = (stats: Stats, segment: string, answered: number, matches: number) => {
      for (let i = 0; i < answered; i++) stats.record('ws', segment, 'global', i < matches, 100);
    };

    it('ranks a provider strong on .com and weak on .io per TLD, and a rare TLD by the workspace rate', () => {
      const stats = new Stats();
      const ranking = new Ranking([global, perMatch], stats);
      record(stats, 'com', 100, 80);
      record(stats, 'io', 100, 10);
      expect(ids(ranking.order('ws', 'com'))).toEqual(['global', 'per-match']);
      expect(ids(ranking.order('ws', 'io'))).toEqual(['per-match', 'global']);
      // No answers on .dev: the workspace's 45%, $0.013 a match.
      expect(ids(ranking.order('ws', 'dev'))).toEqual(['global', 'per-match']);
      // One no-match there is not yet a weak TLD: its estimate stays far nearer the workspace's rate than its own 0%.
      record(stats, 'dev', 1, 0);
      const overall = expectedMatchRate(stats, 'ws', 'generic', global);
      expect(expectedMatchRate(stats, 'ws', 'dev', global)).toBeGreaterThan(overall / 2);
      // Twenty are.
      record(stats, 'dev', 19, 0);
      expect(ids(ranking.order('ws', 'dev'))).toEqual(['per-match', 'global']);
    });

    it("judges a rare public suffix by its TLD's other segments before the workspace", () => {
      const stats = new Stats();
      const ranking = new Ranking([global, perMatch], stats);
      record(stats, 'com', 100, 80);
      record(stats, 'co.uk', 100, 10);
      // Weak in .co.uk, so likely in .org.uk too; nothing says so of .fr.
      expect(ids(ranking.order('ws', 'org.uk'))).toEqual(['per-match', 'global']);
      expect(ids(ranking.order('ws', 'fr'))).toEqual(['global', 'per-match']);
      // With no siblings yet, .co.uk is judged just as a TLD with its answers would be: its own are not counted twice.
      const asTld = new Stats();
      record(asTld, 'com', 100, 80);
      record(asTld, 'uk', 100, 10);
      expect(expectedMatchRate(stats, 'ws', 'co.uk', global)).toBeCloseTo(expectedMatchRate(asTld, 'ws', 'uk', global), 12);
    });

    it('starts sensibly from a journal of the old segments: `uk` for .co.uk rows, "generic" for every non-country TLD', () => {
      const row = (segment: string, answered: number, matches: number) => ({
        workspaceId: 'ws',
        providerId: 'global',
        segment,
        answered,
        matches,
        latencyMs: 100 * answered,
      });
      const stats = new Stats([row('generic', 300, 240), row('uk', 100, 10)]);
      const ranking = new Ranking([global, perMatch], stats);
      // What was learned for .uk holds for .co.uk; the generic rows count for the workspace, so for .com too.
      expect(ids(ranking.order('ws', 'co.uk'))).toEqual(['per-match', 'global']);
      expect(ids(ranking.order('ws', 'com'))).toEqual(['global', 'per-match']);
      expect(stats.overall('ws', 'global')).toMatchObject({ answered: 400, matches: 250 });
    });
  });

  it('follows a manual order whatever the figures say', () => {
    const stats = new Stats();
    for (let i = 0; i < 50; i++) stats.record('ws', 'com', 'dear', false, 100);
    expect(ids(new Ranking([cheap, dear], stats, ['dear']).order('ws', 'com'))).toEqual(['dear', 'cheap']);
  });
});
