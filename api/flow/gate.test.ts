import { describe, expect, it } from 'vitest';
import type { Clock } from '../clock.js';
import { ProviderGate, type GateSlot } from './gate.js';

/** A clock the test moves; the gate's timers still run on real time, so tests that need them use short waits. */
const manualClock = () => {
  let t = 0;
  return { clock: { now: () => t } satisfies Clock, advance: (ms: number) => (t += ms) };
};
const gate = (opts: Partial<ConstructorParameters<typeof ProviderGate>[0]> & { clock: Clock }) =>
  new ProviderGate({ initialConcurrency: 4, maxConcurrency: 64, ...opts });
const lane = (job: string, workspace = 'ws', realtime = false) => ({ realtime, workspace, job });
const turn = () => new Promise((r) => setImmediate(r));

/** Acquires in order and records which acquire got a slot, in the order slots were given. */
function queueUp(g: ProviderGate, lanes: ReturnType<typeof lane>[]) {
  const order: number[] = [];
  const slots: GateSlot[] = [];
  lanes.forEach(
    (l, i) =>
      void g.acquire(l).then((s) => {
        order.push(i);
        slots.push(s);
      }),
  );
  return { order, slots };
}

describe('ProviderGate', () => {
  it('never has more slots out than its limit, and a slot freed goes to the next waiter', async () => {
    const { clock } = manualClock();
    const g = gate({ concurrency: 2, clock });
    const { order, slots } = queueUp(g, [lane('a'), lane('a'), lane('a')]);
    await turn();
    expect(order).toEqual([0, 1]);
    slots[0]!.release('neutral', 5);
    await turn();
    expect(order).toEqual([0, 1, 2]);
    g.close();
  });

  it('throws on a slot released twice: the count of slots out is what keeps us under the limit', async () => {
    const { clock } = manualClock();
    const g = gate({ concurrency: 1, clock });
    const slot = await g.acquire(lane('a'));
    slot.release('ok', 1);
    expect(() => slot.release('ok', 1)).toThrow(/released twice/);
    g.close();
  });

  it('serves real-time lookups first, then bulk work round-robin by workspace and, within one, by job', async () => {
    const { clock } = manualClock();
    const g = gate({ concurrency: 1, clock });
    const first = await g.acquire(lane('x'));
    const { order, slots } = queueUp(g, [lane('a1', 'A'), lane('a1', 'A'), lane('a2', 'A'), lane('b1', 'B'), lane('rt', 'B', true)]);
    first.release('neutral', 1);
    for (let i = 0; i < 5; i++) {
      await turn();
      slots[i]?.release('neutral', 1);
    }
    await turn();
    // rt first; then A, B, A (its other job), A (a1's second row).
    expect(order).toEqual([4, 0, 3, 2, 1]);
    g.close();
  });

  it('holds every waiter through a pause (Retry-After), then lets them go', async () => {
    const { clock, advance } = manualClock();
    const g = gate({ concurrency: 4, clock });
    g.pause(30);
    const { order } = queueUp(g, [lane('a')]);
    await turn();
    expect(order).toEqual([]);
    advance(30);
    for (let i = 0; i < 50 && order.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual([0]);
    g.close();
  });

  it('cuts its limit by AIMD on congestion, at most once per round trip, and grows it back while clean', async () => {
    const { clock, advance } = manualClock();
    const g = gate({ concurrency: 10, clock });
    const slots = await Promise.all(Array.from({ length: 10 }, () => g.acquire(lane('a'))));
    advance(100);
    // A burst of 429s from one window of requests is one congestion event.
    for (const s of slots.slice(0, 5)) s.release('congested', 100);
    expect(g.concurrencyLimit).toBe(7);
    advance(200);
    slots[5]!.release('congested', 100);
    expect(g.concurrencyLimit).toBe(4);
    for (const s of slots.slice(6)) s.release('ok', 10);
    for (let i = 0; i < 40; i++) (await g.acquire(lane('a'))).release('ok', 10);
    expect(g.concurrencyLimit).toBeGreaterThan(4);
    g.close();
  });

  it('gives up a waiter whose signal aborts, without taking a slot', async () => {
    const { clock } = manualClock();
    const g = gate({ concurrency: 1, clock });
    const held = await g.acquire(lane('a'));
    const abort = new AbortController();
    const waiting = g.acquire(lane('a'), abort.signal);
    abort.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    held.release('neutral', 1);
    // The slot the aborted waiter would have taken is free.
    const next = await g.acquire(lane('a'));
    next.release('neutral', 1);
    expect(g.waiting).toBe(0);
    g.close();
  });
});
