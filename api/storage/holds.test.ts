import { expect, it } from 'vitest';
import { tempDatabase } from '../../test/helpers/tempDatabase.js';
import { storedAnswers } from './cache.js';
import { holdsStore } from './holds.js';
import { jobsStore } from './jobs.js';
import { membersStore } from './members.js';
import { rowsStore } from './rows.js';

const database = tempDatabase('holds');
const key = { workspaceId: 'ws', providerId: 'a', inputKey: 'domain=x.com' };
const hold = (worker: string, ttlMs = 60_000, k = key) => holdsStore(database().db).hold(k, worker, ttlMs, 0);
const store = (fetchedAt = 5) => database().commit(storedAnswers.statements([{ ...key, outcome: 'match', values: { 'company.name': 'X' }, fetchedAt }]));

it('one worker holds a key until it lets go; the answer stored is handed to whoever asks, and ends the hold', async () => {
  expect(await hold('w1')).toEqual({ kind: 'mine' });
  // Held again by its holder: pushed on, still its own.
  expect(await hold('w1')).toEqual({ kind: 'mine' });
  expect(await hold('w2')).toEqual({ kind: 'held' });
  // Another workspace's or provider's answer for the same input is another key.
  expect(await hold('w2', 60_000, { ...key, workspaceId: 'other' })).toEqual({ kind: 'mine' });
  expect(await hold('w2', 60_000, { ...key, providerId: 'b' })).toEqual({ kind: 'mine' });
  // A release by one that does not hold it changes nothing.
  await holdsStore(database().db).release(key, 'w2');
  expect(await hold('w2')).toEqual({ kind: 'held' });
  await holdsStore(database().db).release(key, 'w1');
  expect(await hold('w2')).toEqual({ kind: 'mine' });

  await store();
  expect(await hold('w1')).toEqual({ kind: 'stored', answer: { outcome: 'match', values: { 'company.name': 'X' }, fetchedAt: 5 } });
  expect(await holdsStore(database().db).hold(key, 'w1', 60_000, 6)).toEqual({ kind: 'mine' });
});

it('a hold runs out if its holder stalls, and goes when its holder is declared dead', async () => {
  expect(await hold('w1', 50)).toEqual({ kind: 'mine' });
  expect(await hold('w2')).toEqual({ kind: 'held' });
  await new Promise((r) => setTimeout(r, 80));
  expect(await hold('w2')).toEqual({ kind: 'mine' });

  const members = membersStore(database().db);
  await members.beat({ id: 'w2', host: 'h', pid: 1, url: null }, 1000);
  expect(await hold('w3')).toEqual({ kind: 'held' });
  await new Promise((r) => setTimeout(r, 30));
  await members.forget(['w2'], 10);
  expect(await hold('w3')).toEqual({ kind: 'mine' });
});

it("a running row's purchase and a lookup's hold each stop the other's", async () => {
  const { db } = database();
  const row = (k: string) => ({ key: k, input: { domain: 'x.com' }, status: 'pending' as const, purchases: [['a', 'domain=x.com'] as [string, string]] });
  await jobsStore(db).create({ id: 'job1', workspaceId: 'ws', fields: ['company.name'], rows: [row('r0'), row('r1')] }, 0);
  const claim = (worker: string) =>
    rowsStore(db)
      .claim('job1', 1, worker, 60_000, 10)
      .then((rs) => rs.map((r) => r.key));
  // The lookup's hold keeps the row waiting; let go, the row is claimed and holds the key against lookups.
  expect(await hold('w1')).toEqual({ kind: 'mine' });
  expect(await claim('w2')).toEqual([]);
  await holdsStore(db).release(key, 'w1');
  expect(await claim('w2')).toEqual(['r0']);
  expect(await hold('w1')).toEqual({ kind: 'held' });
  // Its holder's own lookup is not held up by its row.
  expect(await hold('w2')).toEqual({ kind: 'mine' });
  // The job cancelled, then its holder declared dead: the row is not taken back (its job is not running), its holds go.
  const members = membersStore(db);
  await members.beat({ id: 'w2', host: 'h', pid: 1, url: null }, 1000);
  await jobsStore(db).cancel('job1', 20);
  await new Promise((r) => setTimeout(r, 30));
  await members.forget(['w2'], 10);
  expect(await hold('w1')).toEqual({ kind: 'mine' });
});
