import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QuotaScheduler, type QuotaSlot, type QuotaTicket } from './quota.js';

// Time is Vitest's fake clock: the scheduler's own timer and its Clock read the same time, moved by the test.
let s: QuotaScheduler;
let slots: Map<string, QuotaSlot>;
let order: string[];
beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  slots = new Map();
  order = [];
});
afterEach(() => {
  s?.close();
  vi.useRealTimers();
});

const start = (perUser: number, perProject: number, windowMs = 1000) => {
  s = new QuotaScheduler({ perUser, perProject, windowMs }, { now: () => Date.now() });
};
/** Asks for a slot under `name`; `order` lists the names in the order their slots were given. */
const ask = (name: string, ticket: QuotaTicket, signal?: AbortSignal) =>
  s.acquire(ticket, signal).then((slot) => {
    order.push(name);
    slots.set(name, slot);
  });
const slot = (name: string) => slots.get(name)!;
/** A request that Google answers `ms` after it is sent. */
const request = (ms: number) => () => new Promise<string>((r) => setTimeout(() => r('ok'), ms));
const alice = { workspace: 'w1', user: 'alice' };

describe('QuotaScheduler', () => {
  it('counts a request from when it is sent until a window after its answer, not from when its slot was given', async () => {
    start(1, 10);
    void ask('first', alice);
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['first']);
    void ask('second', alice);
    // The holder reads for 300 ms before it sends; Google answers 50 ms later.
    await vi.advanceTimersByTimeAsync(300);
    const sent = slot('first').send(request(50));
    await vi.advanceTimersByTimeAsync(50);
    expect(await sent).toBe('ok');
    // A window after the slot was given is not enough: the request went out 300 ms later.
    await vi.advanceTimersByTimeAsync(1000 - 350);
    expect(order).toEqual(['first']);
    await vi.advanceTimersByTimeAsync(349);
    expect(order).toEqual(['first']);
    await vi.advanceTimersByTimeAsync(1);
    expect(order).toEqual(['first', 'second']);
  });

  it('keeps to the quota over any window while holders send at different times', async () => {
    start(3, 100);
    const sentAt: number[] = [];
    // Twelve requests; each holder waits a different time before it sends, as a write that reads rows first does.
    const work = Array.from({ length: 12 }, (_, i) =>
      s.acquire(alice).then(async (q) => {
        await new Promise((r) => setTimeout(r, [0, 200, 50, 400, 10][i % 5]));
        return q.send(async () => {
          sentAt.push(Date.now());
          await request(20)();
        });
      }),
    );
    await vi.advanceTimersByTimeAsync(10_000);
    await Promise.all(work);
    expect(sentAt).toHaveLength(12);
    for (const t of sentAt) expect(sentAt.filter((x) => x >= t && x < t + 1000).length).toBeLessThanOrEqual(3);
  });

  it('counts a slot given and not yet sent, and takes it back at once when nothing is sent', async () => {
    start(2, 10);
    void ask('a', alice);
    void ask('b', alice);
    void ask('c', alice);
    await vi.advanceTimersByTimeAsync(0);
    // Two slots out and nothing sent yet: the third waits, however long they take.
    await vi.advanceTimersByTimeAsync(5000);
    expect(order).toEqual(['a', 'b']);
    slot('a').release();
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['a', 'b', 'c']);
    // Releasing a slot that was sent changes nothing: it stays counted.
    await slot('b').send(async () => 'ok');
    slot('b').release();
    void ask('d', alice);
    await vi.advanceTimersByTimeAsync(999);
    expect(order).toEqual(['a', 'b', 'c']);
    slot('c').release();
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('shares the project quota round-robin between workspaces, and within one to the user served least recently', async () => {
    start(10, 1);
    for (let i = 0; i < 4; i++) void ask(`big${i}`, { workspace: 'big', user: i % 2 ? 'bob' : 'alice' });
    void ask('small', { workspace: 'small', user: 'carol' });
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(i === 0 ? 0 : 1000);
      await slot(order.at(-1)!).send(async () => 'ok');
    }
    // The small workspace's one request goes second, not after the big one's four; alice and bob take turns.
    expect(order).toEqual(['big0', 'small', 'big1', 'big2', 'big3']);
    const users = order.filter((n) => n.startsWith('big')).map((n) => Number(n.slice(3)) % 2);
    expect(users).toEqual([0, 1, 0, 1]);
  });

  it('holds a user off after a 429, and gives up waiting when the caller aborts', async () => {
    start(10, 10);
    s.holdOff('alice', 500);
    void ask('alice', alice);
    void ask('bob', { workspace: 'w1', user: 'bob' });
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['bob']);
    await vi.advanceTimersByTimeAsync(500);
    expect(order).toEqual(['bob', 'alice']);

    s.holdOff(null, 1000);
    const stop = new AbortController();
    const aborted = s.acquire(alice, stop.signal);
    stop.abort(new Error('shutting down'));
    await expect(aborted).rejects.toThrow('shutting down');
    void ask('after', alice);
    await vi.advanceTimersByTimeAsync(1000);
    expect(order).toEqual(['bob', 'alice', 'after']);
  });
  it('keeps to a smaller share once set (a member joined the cluster): slots out stay out, new ones wait under the new figure', async () => {
    start(4, 100);
    for (const n of ['a', 'b', 'c']) void ask(n, alice);
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['a', 'b', 'c']);
    // Two members now: this one's share of the user's 4 is 2, and three slots are out.
    s.setLimits({ perUser: 2, perProject: 50 });
    void ask('d', alice);
    await vi.advanceTimersByTimeAsync(0);
    slot('a').release();
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['a', 'b', 'c']);
    slot('b').release();
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['a', 'b', 'c', 'd']);
  });

  it("keeps a user's own quota where one is set (another member writes their jobs too), the others' whole", async () => {
    start(2, 100);
    const bob = { workspace: 'w1', user: 'bob' };
    s.setUserLimits(new Map([['bob', 1]]));
    for (const n of ['a1', 'a2', 'a3']) void ask(n, alice);
    for (const n of ['b1', 'b2']) void ask(n, bob);
    await vi.advanceTimersByTimeAsync(0);
    expect(order.sort()).toEqual(['a1', 'a2', 'b1']);
    // Bob's jobs are this member's alone again: his whole quota.
    s.setUserLimits(new Map());
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toContain('b2');
    expect(order).not.toContain('a3');
  });
});
