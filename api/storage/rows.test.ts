import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { tempDatabase } from '../../test/helpers/tempDatabase.js';
import { emptyState, type RowState } from '../engine/rowState.js';
import { jobsStore } from './jobs.js';
import { completedRows, releasedRows, rowsStore } from './rows.js';

const database = tempDatabase('rows');

const state = (answered: string[]): RowState => ({ ...emptyState(), values: { 'company.name': 'Acme' }, answered });

async function claimedJob(n: number) {
  const { db } = database();
  const rows = Array.from({ length: n }, (_, i) => ({
    key: `r${i}`,
    input: { domain: `d${i}.com` },
    status: 'pending' as const,
    state: i === 0 ? state(['seed']) : undefined,
  }));
  await jobsStore(db).create({ id: 'job1', workspaceId: 'ws', fields: ['company.name'], rows }, 0);
  return rowsStore(db).claim('job1', n, 'w1', 60_000, 10);
}

const stored = () =>
  database().db.all<{
    seq: number;
    status: string;
    state: string | null;
    errorCode: string | null;
    errorMessage: string | null;
    attempts: number;
    runAt: number;
    lockedBy: string | null;
    updatedAt: number;
  }>(sql`
    SELECT seq, status, state, error_code AS errorCode, error_message AS errorMessage, attempts, run_at AS runAt, locked_by AS lockedBy, updated_at AS updatedAt
    FROM rows WHERE job_id = 'job1' ORDER BY seq`);

it('claims due rows with their input and checkpoint decoded', async () => {
  const claimed = await claimedJob(2);
  expect(claimed).toEqual([
    { jobId: 'job1', seq: 0, key: 'r0', input: { domain: 'd0.com' }, state: state(['seed']), attempts: 0 },
    { jobId: 'job1', seq: 1, key: 'r1', input: { domain: 'd1.com' }, state: null, attempts: 0 },
  ]);
  expect((await stored()).map((r) => [r.status, r.lockedBy])).toEqual([
    ['running', 'w1'],
    ['running', 'w1'],
  ]);
});

// Each field of an entry is read by its name: one written into another's column would show here.
it('writes each field of a completion into its column, and only under the lease', async () => {
  await claimedJob(2);
  await database().commit(
    completedRows.statements([
      { jobId: 'job1', seq: 0, workerId: 'w1', state: state(['p']), at: 123, status: 'failed', errorCode: 'provider_error', errorMessage: 'p: 500' },
      // Not the lease holder (its lease ran out and w1 took the row): writes nothing.
      { jobId: 'job1', seq: 1, workerId: 'w2', state: state(['q']), at: 124, status: 'matched', errorCode: null, errorMessage: null },
    ]),
  );
  const [done, held] = await stored();
  expect({ ...done!, state: JSON.parse(done!.state!) }).toEqual({
    seq: 0,
    status: 'failed',
    state: state(['p']),
    errorCode: 'provider_error',
    errorMessage: 'p: 500',
    attempts: 0,
    runAt: 0,
    lockedBy: null,
    updatedAt: 123,
  });
  expect(held).toMatchObject({ seq: 1, status: 'running', state: null, lockedBy: 'w1', updatedAt: 10 });
});

it('hands a released row back with its checkpoint, counting the attempt only when asked, and only under the lease', async () => {
  await claimedJob(3);
  await database().commit(
    releasedRows.statements([
      { jobId: 'job1', seq: 0, workerId: 'w1', state: state(['p']), at: 200, runAt: 5000, countAttempt: true },
      { jobId: 'job1', seq: 1, workerId: 'w1', state: state([]), at: 201, runAt: 201, countAttempt: false },
      { jobId: 'job1', seq: 2, workerId: 'w2', state: state([]), at: 202, runAt: 202, countAttempt: true },
    ]),
  );
  const [retried, handedBack, held] = await stored();
  expect({ ...retried!, state: JSON.parse(retried!.state!) }).toEqual({
    seq: 0,
    status: 'pending',
    state: state(['p']),
    errorCode: null,
    errorMessage: null,
    attempts: 1,
    runAt: 5000,
    lockedBy: null,
    updatedAt: 200,
  });
  expect(handedBack).toMatchObject({ status: 'pending', attempts: 0, runAt: 201, lockedBy: null, updatedAt: 201 });
  expect(held).toMatchObject({ status: 'running', attempts: 0, lockedBy: 'w1' });
});
