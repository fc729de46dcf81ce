import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { tempDatabase } from '../../test/helpers/tempDatabase.js';
import { DuplicateRowKey, jobsStore, type NewRow } from './jobs.js';

const database = tempDatabase('jobs');

// Each field of a row is read by its name: one written into another's column would show here.
it('stores each field of a submitted row in its column, numbering rows on across appends', async () => {
  const { db } = database();
  const jobs = jobsStore(db);
  const first: NewRow[] = [
    { key: 'a', input: { domain: 'a.com' }, status: 'pending' },
    { key: 'b', input: { email: 'x@b.com' }, status: 'invalid_input', errorCode: 'invalid_input', errorMessage: 'no domain' },
  ];
  await jobs.create({ id: 'job1', workspaceId: 'ws', fields: ['company.name'], rows: first }, 10);
  await jobs.append('job1', [{ key: 'c', input: { domain: 'c.com' }, status: 'matched', state: { values: { 'company.name': 'C' } } }], 20);
  expect(
    await db.all(sql`
      SELECT seq, key, input, status, error_code AS errorCode, error_message AS errorMessage, state, run_at AS runAt
      FROM rows WHERE job_id = 'job1' ORDER BY seq`),
  ).toEqual([
    { seq: 0, key: 'a', input: '{"domain":"a.com"}', status: 'pending', errorCode: null, errorMessage: null, state: null, runAt: 10 },
    { seq: 1, key: 'b', input: '{"email":"x@b.com"}', status: 'invalid_input', errorCode: 'invalid_input', errorMessage: 'no domain', state: null, runAt: 10 },
    {
      seq: 2,
      key: 'c',
      input: '{"domain":"c.com"}',
      status: 'matched',
      errorCode: null,
      errorMessage: null,
      state: '{"values":{"company.name":"C"}}',
      runAt: 20,
    },
  ]);
});

it('refuses a batch with a key already in the job, naming it, and stores none of the batch', async () => {
  const { db } = database();
  const jobs = jobsStore(db);
  await jobs.create({ id: 'job1', workspaceId: 'ws', fields: ['company.name'], rows: [{ key: 'a', input: { domain: 'a.com' }, status: 'pending' }] }, 0);
  const batch: NewRow[] = ['new', 'a'].map((key) => ({ key, input: { domain: `${key}.com` }, status: 'pending' }));
  await expect(jobs.append('job1', batch, 1)).rejects.toEqual(expect.objectContaining({ name: 'DuplicateRowKey', key: 'a' }));
  await expect(jobs.append('job1', batch, 1)).rejects.toBeInstanceOf(DuplicateRowKey);
  expect(await db.all(sql`SELECT key FROM rows WHERE job_id = 'job1'`)).toEqual([{ key: 'a' }]);
});

it('reads running jobs with whether rows of each are due now and whether any is still open', async () => {
  const { db } = database();
  const jobs = jobsStore(db);
  const pending = (key: string): NewRow => ({ key, input: { domain: `${key}.com` }, status: 'pending' });
  await jobs.create({ id: 'due', workspaceId: 'ws', fields: ['company.name'], rows: [pending('a')] }, 100);
  await jobs.create({ id: 'later', workspaceId: 'ws', fields: ['company.name'], rows: [pending('b')] }, 100);
  await jobs.create({ id: 'held', workspaceId: 'ws', fields: ['company.name'], rows: [pending('c')] }, 100);
  await jobs.create({ id: 'closed', workspaceId: 'ws', fields: ['company.name'], rows: [pending('d')] }, 100);
  await db.run(sql`UPDATE rows SET run_at = 500 WHERE job_id = 'later'`);
  await db.run(sql`UPDATE rows SET status = 'running' WHERE job_id = 'held'`);
  await db.run(sql`UPDATE rows SET status = 'matched' WHERE job_id = 'closed'`);
  const flags = async (now: number) => Object.fromEntries((await jobs.active(now)).map((j) => [j.id, { due: j.due, open: j.open }]));
  expect(await flags(200)).toMatchObject({
    due: { due: true, open: true },
    later: { due: false, open: true },
    held: { due: false, open: true },
    closed: { due: false, open: false },
  });
  expect((await flags(500)).later).toEqual({ due: true, open: true });
});
