import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EnrichField, EnrichResult } from '../../shared/index.js';
import { testCaller } from '../../test/helpers/caller.js';
import { testProvider } from '../../test/helpers/provider.js';
import type { Provider } from '../providers/types.js';
import { admit } from './admit.js';
import { CacheLoader } from './cacheLoader.js';
import { admissionId, enrichFromMemory, type MemoryEnrichDeps } from './memoryEnrich.js';
import { Ranking } from './order.js';
import { Stats } from './stats.js';
import { keyFor } from './waterfall.js';

describe('admissionId: the key admitted inputs are kept under', () => {
  it('differs whenever a cell, its value or the fields asked differ, however the values are made', () => {
    const F = ['company.name'];
    const ids = [
      admissionId({ domain: 'acme.com' }, F),
      admissionId({ domain: 'acme.com ' }, F),
      admissionId({ domain: 'ACME.com' }, F),
      admissionId({ email: 'acme.com' }, F),
      admissionId({ domain: 'acme.com', company: 'Acme' }, F),
      // A value holding what a next cell would look like.
      admissionId({ domain: 'acme.com\n7:company4:Acme' }, F),
      admissionId({ domain: 'acme.com' }, ['company.name', 'company.employees']),
      admissionId({ domain: 'acme.com' }, ['company.employees', 'company.name']),
      admissionId({}, F),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is the same for the same lookup, and a cell left undefined is no cell', () => {
    expect(admissionId({ domain: 'acme.com', company: 'Acme' }, ['company.name'])).toBe(admissionId({ domain: 'acme.com', company: 'Acme' }, ['company.name']));
    expect(admissionId({ domain: 'acme.com', company: undefined }, ['company.name'])).toBe(admissionId({ domain: 'acme.com' }, ['company.name']));
  });
});

const FRESH_MS = 10_000;
const WS = ['ws-a', 'ws-b'];
const DOMAINS = ['acme.com', 'globex.io'];
const FIELDS: EnrichField[][] = [['company.name'], ['company.name', 'company.industry'], ['company.industry', 'company.employees']];
const PROVIDERS: Provider[] = [
  testProvider('firmo', { fields: ['company.name', 'company.industry'], costPerCall: 0.01 }),
  testProvider('census', { fields: ['company.name', 'company.employees'], costPerCall: 0.02 }),
  testProvider('sector', { fields: ['company.industry', 'company.employees'], costPerCall: 0.03 }),
];

type Op =
  | { kind: 'store'; ws: number; domain: number; provider: number; match: boolean; ageMs: number; value: string }
  | { kind: 'absent'; ws: number; domain: number; provider: number }
  | { kind: 'buy'; ws: number; domain: number; provider: number }
  | { kind: 'tally'; ws: number; provider: number; matched: boolean }
  | { kind: 'wait'; ms: number }
  | { kind: 'lookup'; ws: number; domain: number; fields: number; predict: boolean };

const index = (n: number) => fc.integer({ min: 0, max: n - 1 });
const store = fc.record({
  kind: fc.constant('store' as const),
  ws: index(WS.length),
  domain: index(DOMAINS.length),
  provider: index(PROVIDERS.length),
  match: fc.boolean(),
  ageMs: fc.oneof(fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 0, max: FRESH_MS })),
  value: fc.constantFrom('x', 'y', 'z'),
});
const absent = fc.record({ kind: fc.constant('absent' as const), ws: index(WS.length), domain: index(DOMAINS.length), provider: index(PROVIDERS.length) });
const everyKey = WS.flatMap((_, ws) => DOMAINS.flatMap((_, domain) => PROVIDERS.map((_, provider) => ({ ws, domain, provider }))));
/** What memory holds at the start: an answer or "none" for nearly every key, so lookups are answered from memory. */
const known: fc.Arbitrary<Op[]> = fc
  .tuple(
    ...everyKey.map((k) =>
      fc.oneof(
        { arbitrary: store.map((o): Op => ({ ...o, ...k })), weight: 4 },
        { arbitrary: fc.constant<Op>({ kind: 'absent', ...k }), weight: 2 },
        { arbitrary: fc.constant(undefined), weight: 1 },
      ),
    ),
  )
  .map((ops) => ops.filter((o) => o !== undefined));
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: store, weight: 4 },
  { arbitrary: absent, weight: 1 },
  {
    arbitrary: fc.record({ kind: fc.constant('buy' as const), ws: index(WS.length), domain: index(DOMAINS.length), provider: index(PROVIDERS.length) }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('tally' as const), ws: index(WS.length), provider: index(PROVIDERS.length), matched: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 500 }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: FRESH_MS - 500, max: 70_000 }) }), weight: 1 },
  // Lookups weigh most: a worked-out answer is taken only by a lookup after the one that worked it out.
  {
    arbitrary: fc.record({
      kind: fc.constant('lookup' as const),
      ws: index(WS.length),
      domain: index(DOMAINS.length),
      fields: index(FIELDS.length),
      predict: fc.boolean(),
    }),
    weight: 20,
  },
);

/**
 * The memory path as the engine builds it, with real parts: the hot cache
 * (filled as reads and commits fill it), the caller (its recent purchases),
 * the stats and the ranking. The database is never read on this path: its
 * read throws.
 */
function world() {
  const clock = { t: 1_000_000, now: () => clock.t };
  const freshSince = () => clock.now() - FRESH_MS;
  const loader = new CacheLoader(
    () => Promise.reject(new Error('the memory path read the database')),
    freshSince,
    () => clock.now(),
  );
  const stats = new Stats();
  // What it buys is not stored into the hot cache: a purchase whose commit has not gone through yet, known only to the caller.
  const caller = testCaller(
    PROVIDERS.map((p) => p.id),
    { cache: loader, clock, freshSince },
  );
  const ranking = new Ranking(PROVIDERS, stats);
  /** Deps over the given providers list: each list has its own admitted inputs, and so its own worked-out answers. */
  const deps = (providers: Provider[], hits: string[]): MemoryEnrichDeps => ({
    providers,
    caller,
    stats,
    ranking,
    clock,
    retryDelaysMs: [],
    random: () => 0.5,
    peek: (ws, key) => loader.peek(ws, key),
    memoryVersion: () => loader.version + caller.recentVersion,
    trustedUntil: (ws, key) => loader.trustedUntil(ws, key),
    countCacheHit: (_, provider) => hits.push(provider),
    earn: () => {},
  });
  const key = (domain: string, p: Provider) => {
    const norm = admit(PROVIDERS, { domain }, p.fields);
    if (!norm.ok) throw new Error(norm.message);
    return { providerId: p.id, inputKey: keyFor(norm, p) };
  };
  return { clock, loader, stats, caller, deps, key };
}

const comparable = (r: EnrichResult | undefined) => r && { ...r, elapsedMs: 0 };

describe('enrichFromMemory: an answer worked out before is taken only while it is the answer', () => {
  it('gives what walking the waterfall again gives, whatever was stored, bought, learned or aged in between', async () => {
    // Lookups that took a worked-out answer: its values object is the one the last lookup of the same question got.
    let taken = 0;
    await fc.assert(
      fc.asyncProperty(known, fc.array(op, { minLength: 30, maxLength: 80 }), async (start, then) => {
        const w = world();
        // One list for the whole run: its inputs keep their worked-out answers from one lookup to the next.
        const kept = [...PROVIDERS];
        const lastValues = new Map<string, unknown>();
        for (const o of [...start, ...then]) {
          const provider = 'provider' in o ? PROVIDERS[o.provider]! : undefined;
          switch (o.kind) {
            case 'store': {
              const values = o.match ? Object.fromEntries(provider!.fields.map((f) => [f, `${o.value}-${provider!.id}`])) : {};
              w.loader.remember(WS[o.ws]!, w.key(DOMAINS[o.domain]!, provider!), {
                outcome: o.match ? 'match' : 'no_match',
                values,
                fetchedAt: w.clock.t - o.ageMs,
              });
              break;
            }
            case 'absent':
              w.loader.hot.setAbsent(WS[o.ws]!, w.key(DOMAINS[o.domain]!, provider!), w.clock.t);
              break;
            case 'buy': {
              const k = w.key(DOMAINS[o.domain]!, provider!);
              const bought = {
                ...provider!,
                call: async () => ({ kind: 'match' as const, status: 200, values: { [provider!.fields[0]!]: `bought-${provider!.id}` } }),
              };
              const lane = { realtime: false, workspace: WS[o.ws]!, job: 'job_1' };
              await w.caller.step(bought, { domain: DOMAINS[o.domain]! }, k.inputKey, { workspace: WS[o.ws]!, jobId: 'job_1', segment: 'com', lane }, true);
              break;
            }
            case 'tally':
              w.stats.record(WS[o.ws]!, 'com', provider!.id, o.matched, 100);
              break;
            case 'wait':
              w.clock.t += o.ms;
              break;
            case 'lookup': {
              const args = [WS[o.ws]!, { domain: DOMAINS[o.domain]! }, FIELDS[o.fields]!, o.predict] as const;
              const keptHits: string[] = [];
              const freshHits: string[] = [];
              const fromKept = enrichFromMemory(w.deps(kept, keptHits), ...args);
              // A new list each time: nothing worked out before, the whole walk.
              const walked = enrichFromMemory(w.deps([...PROVIDERS], freshHits), ...args);
              expect(comparable(fromKept)).toEqual(comparable(walked));
              expect(keptHits).toEqual(freshHits);
              const question = JSON.stringify(args);
              if (fromKept && lastValues.get(question) === fromKept.values) taken++;
              lastValues.set(question, fromKept?.values);
            }
          }
        }
      }),
      { numRuns: 1000 },
    );
    expect(taken).toBeGreaterThan(100);
  });
});
