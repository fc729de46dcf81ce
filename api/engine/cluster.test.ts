import { expect, it } from 'vitest';
import { tempDatabase } from '../../test/helpers/tempDatabase.js';
import { membersStore } from '../storage/members.js';
import { Cluster } from './cluster.js';

const database = tempDatabase('cluster');

it('tells its listeners when it is heard again after a silence past the dead-after time, with the same members or not', async () => {
  const DEAD = 150;
  const heard: { live: string[]; rejoined: boolean }[] = [];
  const lines: string[] = [];
  const cluster = new Cluster({
    store: membersStore(database().db),
    self: { id: 'a', host: 'test', pid: 1 },
    // No timer runs (start() is never called): each join() is one heartbeat.
    timings: { heartbeatMs: 60_000, deadAfterMs: DEAD },
    takeOver: async () => {},
    onError: (err) => {
      throw err;
    },
    log: (msg) => lines.push(msg),
  });
  cluster.onChange((live, rejoined) => heard.push({ live: live.map((m) => m.id), rejoined }));
  await cluster.join();
  await cluster.join();
  expect(heard).toEqual([{ live: ['a'], rejoined: false }]);
  await new Promise((r) => setTimeout(r, DEAD + 50));
  await cluster.join();
  expect(heard).toEqual([
    { live: ['a'], rejoined: false },
    { live: ['a'], rejoined: true },
  ]);
  expect(lines.some((l) => l.startsWith('this instance was not heard from'))).toBe(true);
});
