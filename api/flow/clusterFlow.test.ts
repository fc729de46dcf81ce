import { describe, expect, it } from 'vitest';
import type { Clock } from '../clock.js';
import { ClusterFlow, type PausesStore, shareOf } from './clusterFlow.js';
import { ProviderGate, type GateSlot } from './gate.js';

const clock: Clock = { now: () => performance.now() };
const lane = { realtime: false, workspace: 'ws', job: 'j' };
const turn = () => new Promise((r) => setImmediate(r));
const gate = (concurrency?: number, ratePerSecond?: number) =>
  new ProviderGate({ concurrency, ratePerSecond, initialConcurrency: 4, maxConcurrency: 64, clock });

function take(g: ProviderGate, n: number) {
  const slots: GateSlot[] = [];
  for (let i = 0; i < n; i++) void g.acquire(lane).then((s) => slots.push(s));
  return slots;
}

describe('shareOf', () => {
  it('splits a documented figure so the parts sum to it exactly, the remainder to the lowest-ranked', () => {
    const ids = ['c', 'a', 'b'];
    expect(ids.map((id) => shareOf(10, ids, id))).toEqual([3, 4, 3]);
    expect(ids.map((id) => shareOf(2, ids, id))).toEqual([0, 1, 1]);
    for (const total of [1, 5, 7, 40, 41])
      for (const members of [['a'], ['a', 'b'], ['x', 'y', 'z', 'w']]) expect(members.reduce((s, id) => s + shareOf(total, members, id), 0)).toBe(total);
  });
});

describe('ProviderGate.setShare', () => {
  it('a lower share cuts no call in flight, and holds new ones until in flight is under it', async () => {
    const g = gate(6);
    const slots = take(g, 10);
    await turn();
    expect(slots).toHaveLength(6);
    g.setShare({ concurrency: 2, members: 3 });
    expect(g.concurrencyLimit).toBe(2);
    for (const s of slots.splice(0, 4)) s.release('neutral', 5);
    await turn();
    expect(slots).toHaveLength(2);
    slots.shift()!.release('neutral', 5);
    await turn();
    expect(slots).toHaveLength(2);
    g.close();
  });

  it('a share of 0 holds every call until it grows', async () => {
    const g = gate(2, 10);
    g.setShare({ concurrency: 0, ratePerSecond: 0, members: 3 });
    const slots = take(g, 3);
    await turn();
    expect(slots).toHaveLength(0);
    g.setShare({ concurrency: 1, ratePerSecond: 3, members: 2 });
    await turn();
    expect(slots).toHaveLength(1);
    expect(g.rateLimit).toBe(3);
    g.close();
  });

  it('an undocumented concurrency starts from its share, and grows by AIMD from there', () => {
    const g = gate();
    g.setShare({ members: 2 });
    expect(g.concurrencyLimit).toBe(2);
    g.setShare({ members: 1 });
    expect(g.concurrencyLimit).toBe(2);
    g.close();
  });
});

describe('ClusterFlow', () => {
  const store = () => {
    const recorded: [string, number][] = [];
    const pauses: PausesStore = {
      record: async (id, ms) => void recorded.push([id, ms]),
      active: async () => [{ providerId: 'p', remainingMs: 500 }],
    };
    return { recorded, pauses };
  };

  it('alone at its first heartbeat it takes the whole; joining others it takes nothing for a dead-after period, then its share', async () => {
    const alone = new Map([['p', gate(10, 9)]]);
    const { pauses } = store();
    const deps = {
      documented: new Map([['p', { concurrency: 10, ratePerSecond: 9 }]]),
      deadAfterMs: 60,
      pauses,
      pollMs: 10,
      members: () => 3,
      onError: () => {},
    };
    const a = new ClusterFlow({ ...deps, gates: alone, selfId: 'a' });
    a.apply(['a']);
    expect(alone.get('p')!.concurrencyLimit).toBe(10);
    a.apply(['a', 'b', 'c']);
    expect(alone.get('p')!.concurrencyLimit).toBe(4);
    expect(alone.get('p')!.rateLimit).toBe(3);

    const joining = new Map([['p', gate(10, 9)]]);
    const c = new ClusterFlow({ ...deps, gates: joining, selfId: 'c' });
    c.apply(['a', 'b', 'c']);
    expect(joining.get('p')!.concurrencyLimit).toBe(0);
    await new Promise((r) => setTimeout(r, 90));
    expect(joining.get('p')!.concurrencyLimit).toBe(3);
    await a.stop();
    await c.stop();
  });

  it('a pause asked of one gate is recorded for the others, and pauses others recorded are kept', async () => {
    const g = gate(4);
    const { recorded, pauses } = store();
    const flow = new ClusterFlow({
      gates: new Map([['p', g]]),
      documented: new Map(),
      selfId: 'a',
      deadAfterMs: 50,
      pauses,
      pollMs: 10,
      members: () => 2,
      onError: () => {},
    });
    g.pause(1000);
    expect(recorded).toEqual([['p', 1000]]);
    const other = gate(4);
    const flow2 = new ClusterFlow({
      gates: new Map([['p', other]]),
      documented: new Map(),
      selfId: 'b',
      deadAfterMs: 50,
      pauses,
      pollMs: 10,
      members: () => 2,
      onError: () => {},
    });
    flow2.start();
    await new Promise((r) => setTimeout(r, 40));
    expect(other.paused).toBe(true);
    expect(recorded).toHaveLength(1);
    await flow.stop();
    await flow2.stop();
  });
});
