import { expect, it } from 'vitest';
import { tempDatabase } from '../../test/helpers/tempDatabase.js';
import { membersStore } from '../storage/members.js';
import { Cluster } from './cluster.js';

const database = tempDatabase('cluster');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Long enough that a loaded machine's late beat (a run breaks past half of it) does not break a steady run.
const DEAD = 600;

/** A member whose beats the test makes (start() is never called: each join() is one heartbeat), and what it was told. */
function member(id: string) {
  const heard: { live: string[]; rejoined: boolean }[] = [];
  const tookOver: string[][] = [];
  const lines: string[] = [];
  const cluster = new Cluster({
    store: membersStore(database().db),
    self: { id, host: 'test', pid: 1 },
    timings: { heartbeatMs: 60_000, deadAfterMs: DEAD },
    takeOver: async (dead) => void tookOver.push([...dead]),
    onError: (err) => {
      throw err;
    },
    log: (msg) => lines.push(msg),
  });
  cluster.onChange((live, rejoined) => heard.push({ live: live.map((m) => m.id), rejoined }));
  return { cluster, heard, tookOver, lines };
}

it('a database silent past the dead-after time kills no member: none takes over from another or counts itself rejoined', async () => {
  const [a, b] = [member('a'), member('b')];
  await a.cluster.join();
  await b.cluster.join();
  await a.cluster.join();
  await sleep(DEAD + 100);
  for (const m of [a, b, a, b]) await m.cluster.join();
  expect(a.heard).toEqual([
    { live: ['a'], rejoined: false },
    { live: ['a', 'b'], rejoined: false },
  ]);
  expect(b.heard).toEqual([{ live: ['a', 'b'], rejoined: false }]);
  expect([...a.tookOver, ...b.tookOver]).toEqual([]);
});

it('a member silent while another was heard steadily is declared dead by it, and counts itself rejoined when heard again', async () => {
  const [a, b] = [member('a'), member('b')];
  await a.cluster.join();
  await b.cluster.join();
  for (let i = 0; i < 14; i++) {
    await sleep(DEAD / 10);
    await b.cluster.join();
  }
  expect(b.tookOver).toEqual([['a']]);
  expect(b.heard.at(-1)).toEqual({ live: ['b'], rejoined: false });
  await a.cluster.join();
  expect(a.heard.at(-1)).toEqual({ live: ['b', 'a'], rejoined: true });
  expect(a.lines.some((l) => l.startsWith('this instance was not heard from'))).toBe(true);
});
