import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { tempDatabase } from '../../test/helpers/tempDatabase.js';
import { emptyState, type RowState } from '../engine/rowState.js';
import { storedAnswers } from './cache.js';
import { jobsStore } from './jobs.js';
import { completedRows, releasedRows, rowsStore } from './rows.js';
import type { PurchaseKey } from './schema/index.js';

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
    { jobId: 'job1', seq: 0, key: 'r0', input: { domain: 'd0.com' }, state: state(['seed']), attempts: 0, held: [] },
    { jobId: 'job1', seq: 1, key: 'r1', input: { domain: 'd1.com' }, state: null, attempts: 0, held: [] },
  ]);
  expect((await stored()).map((r) => [r.status, r.lockedBy])).toEqual([
    ['running', 'w1'],
    ['running', 'w1'],
  ]);
});

it('claims none of the rows of a job no longer running (cancelled after a pass read it as running)', async () => {
  await claimedJob(0);
  const { db } = database();
  await jobsStore(db).append('job1', [{ key: 'r0', input: { domain: 'd0.com' }, status: 'pending' }], 5);
  await jobsStore(db).cancel('job1', 20);
  expect(await rowsStore(db).claim('job1', 2, 'w2', 60_000, 30)).toEqual([]);
  expect((await stored()).map((r) => [r.status, r.lockedBy])).toEqual([['pending', null]]);
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

describe('purchase holds across workers', () => {
  // Rows 0 and 1 share their company's answer at `a`; row 2 needs `b` for another company.
  const buy = (provider: string, key: string): PurchaseKey => [provider, key];
  async function jobOfShared() {
    const { db } = database();
    const rows = [
      { key: 'r0', input: { domain: 'x.com' }, status: 'pending' as const, purchases: [buy('a', 'domain=x.com'), buy('b', 'domain=x.com')] },
      { key: 'r1', input: { domain: 'x.com' }, status: 'pending' as const, purchases: [buy('a', 'domain=x.com'), buy('b', 'domain=x.com')] },
      { key: 'r2', input: { domain: 'y.com' }, status: 'pending' as const, purchases: [buy('b', 'domain=y.com')] },
      { key: 'r3', input: { domain: 'z.com' }, status: 'pending' as const },
    ];
    await jobsStore(db).create({ id: 'job1', workspaceId: 'ws', fields: ['company.name'], rows }, 0);
  }
  const claim = (worker: string, limit: number) =>
    rowsStore(database().db)
      .claim('job1', limit, worker, 60_000, 10)
      .then((rs) => rs.map((r) => r.key));
  const held = () =>
    database().db.all<{ provider: string; key: string; seq: number; worker: string }>(
      sql`SELECT provider_id AS provider, input_key AS key, seq, worker FROM held_purchases ORDER BY provider_id, input_key, seq`,
    );
  const store = (providerId: string, inputKey: string, workspaceId = 'ws') =>
    database().commit(storedAnswers.statements([{ workspaceId, providerId, inputKey, outcome: 'match', values: {}, fetchedAt: 5 }]));

  it('a row waits while another worker holds an answer it may buy, and is claimed once the answer is stored', async () => {
    await jobOfShared();
    expect(await claim('w1', 1)).toEqual(['r0']);
    expect(await held()).toEqual([
      { provider: 'a', key: 'domain=x.com', seq: 0, worker: 'w1' },
      { provider: 'b', key: 'domain=x.com', seq: 0, worker: 'w1' },
    ]);
    // r1 needs what w1 is buying: w2 passes over it, and takes the rows that share nothing with w1's.
    expect(await claim('w2', 10)).toEqual(['r2', 'r3']);
    // Another workspace's answer for the same key is not this one's.
    await store('a', 'domain=x.com', 'other');
    expect(await claim('w2', 10)).toEqual([]);
    // One of the two stored: the other is still being bought.
    await store('a', 'domain=x.com');
    expect(await held()).toEqual([
      { provider: 'b', key: 'domain=x.com', seq: 0, worker: 'w1' },
      { provider: 'b', key: 'domain=y.com', seq: 2, worker: 'w2' },
    ]);
    expect(await claim('w2', 10)).toEqual([]);
    // Stored over an older answer (an upsert) ends the hold as a new one does.
    await store('b', 'domain=x.com');
    await store('b', 'domain=x.com');
    // Only what the cache still lacks is held by the row w2 takes now: nothing.
    expect(await claim('w2', 10)).toEqual(['r1']);
    expect(await held()).toEqual([{ provider: 'b', key: 'domain=y.com', seq: 2, worker: 'w2' }]);
  });

  it('tells the worker which purchases each row it took holds: those the cache lacked as it took them', async () => {
    await jobOfShared();
    await store('b', 'domain=x.com');
    const taken = (limit: number) =>
      rowsStore(database().db)
        .claim('job1', limit, 'w1', 60_000, 10)
        .then((rs) => rs.map((r) => [r.key, r.held]));
    // Two claims in the same millisecond: the second names its own row's holds, not the first's too.
    expect(await taken(1)).toEqual([['r0', [buy('a', 'domain=x.com')]]]);
    expect(await taken(10)).toEqual([
      ['r1', [buy('a', 'domain=x.com')]],
      ['r2', [buy('b', 'domain=y.com')]],
      ['r3', []],
    ]);
  });

  it("an answer past the job's freshness is held as one to buy again; a fresh one is not", async () => {
    const { db } = database();
    const rows = ['x.com', 'y.com'].map((d) => ({ key: d, input: { domain: d }, status: 'pending' as const, purchases: [buy('a', `domain=${d}`)] }));
    await jobsStore(db).create({ id: 'job1', workspaceId: 'ws', fields: ['company.name'], freshnessMs: 60_000, rows }, 0);
    await database().commit(
      storedAnswers.statements([
        { workspaceId: 'ws', providerId: 'a', inputKey: 'domain=x.com', outcome: 'match', values: {}, fetchedAt: Date.now() - 120_000 },
        { workspaceId: 'ws', providerId: 'a', inputKey: 'domain=y.com', outcome: 'match', values: {}, fetchedAt: Date.now() },
      ]),
    );
    expect(await claim('w1', 10)).toEqual(['x.com', 'y.com']);
    expect(await held()).toEqual([{ provider: 'a', key: 'domain=x.com', seq: 0, worker: 'w1' }]);
  });

  it('the holder itself is never held up, and a row that stops running lets go of its holds', async () => {
    await jobOfShared();
    expect(await claim('w1', 1)).toEqual(['r0']);
    // Its own holds do not stop w1: two of its rows asking at once share one request in the process.
    expect(await claim('w1', 1)).toEqual(['r1']);
    expect(await claim('w2', 10)).toEqual(['r2', 'r3']);
    // r0 handed back, r1 finished: only r2's hold is left, and w1 may take r0 again.
    await database().commit([
      ...releasedRows.statements([{ jobId: 'job1', seq: 0, workerId: 'w1', state: state([]), at: 10, runAt: 10, countAttempt: false }]),
      ...completedRows.statements([{ jobId: 'job1', seq: 1, workerId: 'w1', state: state([]), at: 20, status: 'failed', errorCode: 'x', errorMessage: 'x' }]),
    ]);
    expect(await held()).toEqual([{ provider: 'b', key: 'domain=y.com', seq: 2, worker: 'w2' }]);
    // A dead worker's rows taken back: their holds go with them.
    expect(await rowsStore(database().db).reclaimExpired(30, ['w2'])).toBe(2);
    expect(await held()).toEqual([]);
    expect(await claim('w1', 10)).toEqual(['r0', 'r2', 'r3']);
  });
});
