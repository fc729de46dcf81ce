import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../api/storage/db.js';
import { effectsStore } from '../../api/storage/effects.js';
import { jobsStore } from '../../api/storage/jobs.js';
import { membersStore } from '../../api/storage/members.js';
import { completedRows, rowsStore } from '../../api/storage/rows.js';
import { startSqld, type Sqld } from './sqld.js';

// The cluster's statements on a real libSQL server: it binds numbers as REAL, and SQLite's LIMIT refuses a fraction.
let sqld: Sqld;
let database: Database;
beforeAll(async () => {
  sqld = await startSqld();
  database = await openDatabase(sqld.url);
});
afterAll(async () => {
  await database?.close();
  sqld?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const self = (id: string, url: string | null = null) => ({ id, host: 'test', pid: 1, url });

async function job(id: string, n: number) {
  const rows = Array.from({ length: n }, (_, i) => ({ key: `r${i}`, input: { domain: `d${i}.com` }, status: 'pending' as const }));
  await jobsStore(database.db).create({ id, workspaceId: 'ws', fields: ['company.name'], rows }, 0);
}

it('counts a member dead once one heard steadily all along has not heard it for the dead time; a silence of everyone kills no one', async () => {
  const members = membersStore(database.db);
  // Long enough that a loaded machine's late beat (the run breaks past half of it) does not break a's steady run.
  const DEAD = 1000;
  // Each beat tells the store when the member's previous one was, as Cluster does.
  const lastBeat = new Map<string, number>();
  const beat = async (id: string) => {
    const seen = await members.beat(self(id), DEAD, lastBeat.get(id));
    lastBeat.set(id, seen.live.find((m) => m.id === id)!.heartbeatAt);
    return seen;
  };
  for (const id of ['a', 'b', 'c']) await beat(id);
  // Nobody heard past the dead time, as when the database stops answering: dead to no one, and live to whoever asks.
  await sleep(DEAD + 200);
  expect(await beat('a')).toMatchObject({ live: [{ id: 'a' }, { id: 'b' }, { id: 'c' }], dead: [], registered: false, missedBy: [] });
  // a heard steadily for the dead time from here, b and c not at all: they are dead to a.
  for (let i = 0; i < 12; i++) {
    await sleep(DEAD / 10);
    await beat('a');
  }
  expect(await beat('a')).toMatchObject({ live: [{ id: 'a' }], dead: ['b', 'c'], registered: false, missedBy: [] });
  // c heard again before it is forgotten: it keeps its row, and learns that a, heard steadily, may have counted it dead.
  expect(await beat('c')).toMatchObject({ live: [{ id: 'a' }, { id: 'b' }, { id: 'c' }], dead: [], registered: false, missedBy: ['a'] });
  await members.forget(['b', 'c'], DEAD);
  expect(await beat('a')).toMatchObject({ live: [{ id: 'a', host: 'test', pid: 1 }, { id: 'c' }], dead: [] });
  // b, forgotten, heard again: registered as a member anew.
  expect(await beat('b')).toMatchObject({ registered: true, missedBy: ['a'] });
  for (const id of ['a', 'b', 'c']) await members.leave(id);
  expect(await beat('d')).toMatchObject({ live: [{ id: 'd' }], dead: [], registered: true });
  await members.leave('d');
});

it('tells the members where each takes wakes, from its latest beat: an instance learns its own address after its first', async () => {
  const members = membersStore(database.db);
  await members.beat(self('u1'), 4000);
  expect((await members.beat(self('u2', 'http://10.0.0.2:8787'), 4000)).live).toMatchObject([
    { id: 'u1', url: null },
    { id: 'u2', url: 'http://10.0.0.2:8787' },
  ]);
  await members.beat(self('u1', 'http://10.0.0.1:8787'), 4000);
  expect((await members.beat(self('u2', 'http://10.0.0.2:8787'), 4000)).live.map((m) => m.url)).toEqual(['http://10.0.0.1:8787', 'http://10.0.0.2:8787']);
  await members.leave('u1');
  await members.leave('u2');
});

it('sizes claims so a job spreads over the members: each takes its part of what is outstanding, at least a floor while many rows are due', async () => {
  const rows = rowsStore(database.db);
  await job('big', 2000);
  const spread = { members: 3, held: 0, floor: 50 };
  // Claimed in turn by three members, each with a claim of up to 1,000: a third each, not 1,000 to the first two.
  const first = await rows.claim('big', 1000, 'w1', 60_000, 10, spread);
  const second = await rows.claim('big', 1000, 'w2', 60_000, 10, spread);
  const third = await rows.claim('big', 1000, 'w3', 60_000, 10, spread);
  expect([first.length, second.length, third.length]).toEqual([667, 667, 666]);
  // One that holds its part takes no more.
  expect(await rows.claim('big', 1000, 'w1', 60_000, 10, { ...spread, held: 667 })).toHaveLength(0);

  // A part of a row or two is rounded up to the floor while many rows are due, so that no claim is for a row or two...
  await job('floor', 600);
  expect((await rows.claim('floor', 1000, 'w1', 60_000, 10, spread)).length).toBe(200);
  expect((await rows.claim('floor', 1000, 'w2', 60_000, 10, { ...spread, held: 198 })).length).toBe(50);
  // ...and cut to a member's part of the due rows as they run out: a floor's worth taken by one was its own drain.
  await job('small', 120);
  expect((await rows.claim('small', 1000, 'w1', 60_000, 10, spread)).length).toBe(40);
  expect((await rows.claim('small', 1000, 'w2', 60_000, 10, spread)).length).toBe(40);
  expect((await rows.claim('small', 1000, 'w3', 60_000, 10, spread)).length).toBe(40);
  // Alone, or without a spread, the limit as before.
  await job('alone', 30);
  expect((await rows.claim('alone', 20, 'w1', 60_000, 10, { members: 1, held: 0, floor: 50 })).length).toBe(20);
  expect((await rows.claim('alone', 20, 'w1', 60_000, 10)).length).toBe(10);
});

it('takes back at once the rows a dead member holds, and leaves others’ be; the dead one’s late completion changes nothing', async () => {
  const rows = rowsStore(database.db);
  await job('reclaim', 10);
  await rows.claim('reclaim', 6, 'dead1', Number.MAX_SAFE_INTEGER, 10);
  await rows.claim('reclaim', 4, 'live1', Number.MAX_SAFE_INTEGER, 10);
  // The leases run for ever: only the death gives them back.
  expect(await rows.reclaimExpired(20)).toBe(0);
  expect(await rows.reclaimExpired(20, ['dead1', 'someone-else'])).toBe(6);
  const held = () =>
    database.db.all<{ status: string; by: string | null }>(sql`SELECT status, locked_by AS by FROM rows WHERE job_id = 'reclaim' ORDER BY seq`);
  expect((await held()).map((r) => `${r.status}:${r.by}`)).toEqual([...Array(6).fill('pending:null'), ...Array(4).fill('running:live1')]);
  await database.commit(
    completedRows.statements([
      {
        jobId: 'reclaim',
        seq: 0,
        workerId: 'dead1',
        state: { values: {}, answered: [] } as never,
        at: 30,
        status: 'matched',
        errorCode: null,
        errorMessage: null,
      },
    ]),
  );
  expect((await held())[0]).toEqual({ status: 'pending', by: null });
});

it('ends the leases of a dead member’s effects in flight, so another takes them as in doubt at once and only its answer counts', async () => {
  const effects = effectsStore(database.db);
  const e = { id: 'eff1', workspaceId: 'ws', target: 'crm', jobId: 'j', seq: 0, payload: { a: 1 }, priority: 0 };
  await effects.enqueue(e, 10);
  expect(await effects.claimDue('crm', 10, 'dead1', Number.MAX_SAFE_INTEGER, 10)).toHaveLength(1);
  expect(await effects.claimInDoubt('crm', 10, 'w2', 100_000, 20)).toHaveLength(0);
  expect(await effects.endLeasesOf(['dead1'], 20)).toBe(1);
  expect(await effects.claimInDoubt('crm', 10, 'w2', 100_000, 30)).toMatchObject([{ id: 'eff1', attempts: 2 }]);
  // The dead one's answer, had it come, is not the holder's.
  await effects.settle('dead1', [{ id: 'eff1', status: 'failed', error: 'late' }], 40);
  expect(await effects.finished(['eff1'])).toEqual([]);
  await effects.settle('w2', [{ id: 'eff1', status: 'done', result: { ok: true } }], 50);
  expect(await effects.finished(['eff1'])).toEqual([{ id: 'eff1', status: 'done', result: { ok: true }, error: null }]);
});
