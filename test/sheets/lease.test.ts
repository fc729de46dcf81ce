import { afterEach, beforeEach, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../api/storage/db.js';
import { membersStore } from '../../api/storage/members.js';
import { writesStore, type WritesStore } from '../../api/storage/writes.js';

// The writer lease as the statements keep it, on a database in memory: who may take a target, and who may write it.
let database: Database;
let store: WritesStore;
const LEASE = 60_000;
beforeEach(async () => {
  database = await openDatabase('file::memory:');
  store = writesStore(database.db);
  const members = membersStore(database.db);
  for (const id of ['m1', 'm2']) await members.beat({ id, host: 'h', pid: 1, url: null }, 4000);
  await database.client.execute(`INSERT INTO jobs (id, workspace_id, fields, status, created_at) VALUES ('job_1', 'w', '["company.name"]', 'running', 0)`);
  await store.insertTarget({
    jobId: 'job_1',
    workspaceId: 'w',
    spreadsheetId: 'book',
    sheetName: 'Leads',
    headerRow: 1,
    columns: {},
    statusColumn: 'Status',
    credential: 'oauth',
    userKey: null,
    token: null,
    createdAt: 0,
  });
});
afterEach(() => database.close());

const claimable = async () => (await store.activeTargets())[0]!.claimable;

it('gives a free target to one member; the other takes it only once the holder is gone from the cluster', async () => {
  expect(await claimable()).toBe(true);
  expect(await store.claimTargets(['job_1'], 'm1', LEASE)).toEqual([{ jobId: 'job_1', inDoubt: null }]);
  expect(await claimable()).toBe(false);
  expect(await store.claimTargets(['job_1'], 'm2', LEASE)).toEqual([]);
  expect(await store.beginWrite('job_1', 'm2', [{ seq: 0, version: 1 }])).toBe(false);
  expect(await store.beginWrite('job_1', 'm1', [{ seq: 0, version: 1 }])).toBe(true);
  expect(await store.renewTargets('m1', LEASE)).toEqual(['job_1']);
  expect(await store.renewTargets('m2', LEASE)).toEqual([]);

  // m1 is declared dead: the cluster removes its row, and its lease is free at once, with the write it began in doubt.
  await database.client.execute(`DELETE FROM members WHERE id = 'm1'`);
  expect(await claimable()).toBe(true);
  expect(await store.claimTargets(['job_1'], 'm2', LEASE)).toEqual([{ jobId: 'job_1', inDoubt: [{ seq: 0, version: 1 }] }]);
  // m1, only stalled, writes nothing more: its lease checks fail.
  expect(await store.beginWrite('job_1', 'm1', [{ seq: 1, version: 1 }])).toBe(false);
  expect(await store.renewTargets('m1', LEASE)).toEqual([]);
  await store.endWrite('job_1', 'm1', []);
  expect((await store.findTarget('job_1'))!.inDoubt).toEqual([{ seq: 0, version: 1 }]);
  await store.endWrite('job_1', 'm2', []);
  expect((await store.findTarget('job_1'))!.inDoubt).toBeNull();
});

it('frees a lease that ran out, and every lease of a member that stops cleanly', async () => {
  expect(await store.claimTargets(['job_1'], 'm1', -1)).toHaveLength(1);
  expect(await claimable()).toBe(true);
  expect(await store.renewTargets('m1', LEASE)).toEqual([]);
  expect(await store.claimTargets(['job_1'], 'm2', LEASE)).toHaveLength(1);
  await store.releaseTargets('m1', ['job_1']);
  expect(await store.findTarget('job_1')).toMatchObject({ writerId: 'm2' });
  await store.releaseTargets('m2', ['job_2']);
  expect(await store.findTarget('job_1')).toMatchObject({ writerId: 'm2' });
  await store.releaseTargets('m2');
  expect(await store.findTarget('job_1')).toMatchObject({ writerId: null, writerUntil: null });
  expect(await claimable()).toBe(true);
});
