import { describe, expect, it } from 'vitest';
import type { Clock } from '../clock.js';
import { tempDatabase } from '../../test/helpers/tempDatabase.js';
import { flowSignalsStore } from '../storage/flowSignals.js';
import { ClusterFlow, shareOf } from './clusterFlow.js';
import { ProviderGate, type GateSlot } from './gate.js';
import { ARRIVAL_JITTER_MS } from './rateWindow.js';
import { until } from '../../test/helpers/until.js';

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
  // The signals go through the real store, on a libSQL file: the members of one cluster share it.
  const database = tempDatabase('cluster-flow');
  const flow = (
    gates: Map<string, ProviderGate>,
    selfId: string,
    documented = new Map<string, { concurrency?: number; ratePerSecond?: number }>(),
    onSharing?: () => void,
  ) =>
    new ClusterFlow({
      onSharing,
      gates,
      documented,
      selfId,
      deadAfterMs: 60,
      signals: flowSignalsStore(database().db),
      pollMs: 10,
      members: () => 2,
      onError: (err) => {
        throw err;
      },
    });

  it('alone at its first heartbeat it takes the whole; joining others it takes nothing for a dead-after period, then its share', async () => {
    const alone = new Map([['p', gate(10, 9)]]);
    const documented = new Map([['p', { concurrency: 10, ratePerSecond: 9 }]]);
    const a = flow(alone, 'a', documented);
    a.apply(['a']);
    expect(alone.get('p')!.concurrencyLimit).toBe(10);
    a.apply(['a', 'b', 'c']);
    expect(alone.get('p')!.concurrencyLimit).toBe(4);
    expect(alone.get('p')!.rateLimit).toBe(3);

    const joining = new Map([['p', gate(10, 9)]]);
    // Told when its share comes, so it claims then, not at its next poll.
    let told = 0;
    const c = flow(joining, 'c', documented, () => told++);
    c.apply(['a', 'b', 'c']);
    expect(joining.get('p')!.concurrencyLimit).toBe(0);
    expect(told).toBe(0);
    await new Promise((r) => setTimeout(r, 90));
    expect(joining.get('p')!.concurrencyLimit).toBe(3);
    expect(told).toBe(1);
    await a.stop();
    await c.stop();
  });

  it('heard again after a silence past the dead-after time, it takes nothing for a dead-after period again, then its share', async () => {
    const gates = new Map([['p', gate(10, 9)]]);
    const b = flow(gates, 'b', new Map([['p', { concurrency: 10, ratePerSecond: 9 }]]));
    b.apply(['a', 'b']);
    await new Promise((r) => setTimeout(r, 90));
    expect(gates.get('p')!.concurrencyLimit).toBe(5);
    // The same members as before: only the silence says that a may have grown into b's share meanwhile.
    b.apply(['a', 'b'], true);
    expect(gates.get('p')!.concurrencyLimit).toBe(0);
    expect(b.sharing).toBe(false);
    await new Promise((r) => setTimeout(r, 90));
    expect(gates.get('p')!.concurrencyLimit).toBe(5);
    expect(b.sharing).toBe(true);
    // Alone when heard again: nobody else to wait for.
    b.apply(['b'], true);
    expect(gates.get('p')!.concurrencyLimit).toBe(10);
    expect(b.sharing).toBe(true);
    await b.stop();
  });

  it('a pause asked of one member is kept by the others', async () => {
    const [g, other] = [gate(4), gate(4)];
    const [a, b] = [flow(new Map([['p', g]]), 'a'), flow(new Map([['p', other]]), 'b')];
    b.start();
    g.pause(1000);
    await new Promise((r) => setTimeout(r, 60));
    expect(other.paused).toBe(true);
    await a.stop();
    await b.stop();
  });

  it('a cut one member makes on congestion reaches the others as their part of it, with the rate it learned, and is not echoed', async () => {
    // No documented limits: AIMD's own, from 4.
    const [g, other] = [gate(), gate()];
    const [a, b] = [flow(new Map([['p', g]]), 'a'), flow(new Map([['p', other]]), 'b')];
    a.start();
    b.start();
    // Congested at 1 in flight: a cuts its limit, and at the floor learns a rate from what it was sending.
    for (let i = 0; i < 4; i++) {
      const [slot] = await Promise.all([g.acquire(lane)]);
      slot!.release('congested', 1);
      await new Promise((r) => setTimeout(r, 60));
    }
    expect(g.concurrencyLimit).toBe(1);
    expect(g.rateLimit).toBeDefined();
    const learned = g.rateLimit!;
    // Recorded as totals for 2 members, read back by b as its half: b's limit came down from 4 without a 429 of its own.
    // Waited for, not slept on: under a loaded machine b's poll could still hold an earlier cut's rate after 60 ms.
    await until("b to take a's last cut", () => other.concurrencyLimit === 1 && Math.abs((other.rateLimit ?? 0) - learned) < 1e-5, 2000);
    expect(other.congestion).toBe(0);
    // a does not cut again on its own report.
    expect(g.rateLimit).toBe(learned);
    await a.stop();
    await b.stop();
  });

  it('a 429 under a documented rate widens the margin for arrival jitter of every member, not only the one that met it', async () => {
    const [g, other] = [gate(4, 10), gate(4, 10)];
    const [a, b] = [flow(new Map([['p', g]]), 'a'), flow(new Map([['p', other]]), 'b')];
    a.start();
    b.start();
    expect(other.rateJitterMs).toBe(ARRIVAL_JITTER_MS);
    const slot = await g.acquire(lane);
    slot.release('paced', 1);
    expect(g.rateJitterMs).toBe(2 * ARRIVAL_JITTER_MS);
    await until('b to widen', async () => other.rateJitterMs === 2 * ARRIVAL_JITTER_MS, 2000);
    expect(other.congestion).toBe(0);
    await a.stop();
    await b.stop();
  });
});
