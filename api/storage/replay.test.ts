import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { tempDatabase } from '../../test/helpers/tempDatabase.js';
import { emptyState } from '../engine/rowState.js';
import { storedAnswers } from './cache.js';
import { recordedCalls, type JournaledCall } from './calls.js';
import { jobsStore } from './jobs.js';
import { completedRows, releasedRows, rowsStore } from './rows.js';

const database = tempDatabase('replay');

const call = (id: string, jobId: string | null, costUsd: number): JournaledCall => ({
  id,
  workspaceId: 'ws',
  providerId: 'p',
  jobId,
  segment: 'com',
  outcome: costUsd > 0 ? 'match' : 'no_match',
  httpStatus: 200,
  latencyMs: 40,
  costUsd,
  at: 1000,
});

/**
 * A commit over the network may go through and still fail for its sender (the
 * answer lost on the way back); the journal then sends the same entries again.
 * Each kind must leave the database as one commit would have.
 */
it('leaves the database as one commit would when a journal commit is sent twice', async () => {
  const { db, commit } = database();
  const rows = [0, 1, 2].map((i) => ({ key: `r${i}`, input: { domain: `d${i}.com` }, status: 'pending' as const }));
  await jobsStore(db).create({ id: 'job1', workspaceId: 'ws', fields: ['company.name'], rows }, 0);
  const [a, b, c] = await rowsStore(db).claim('job1', 3, 'w1', 60_000, 0);
  const lease = (seq: number) => ({ jobId: 'job1', seq, workerId: 'w1', state: { ...emptyState(), answered: ['p'] }, at: 2000 });

  const statements = [
    ...storedAnswers.statements([
      { workspaceId: 'ws', providerId: 'p', inputKey: 'domain=d0.com', outcome: 'match', values: { 'company.name': 'D0' }, fetchedAt: 1000 },
    ]),
    ...recordedCalls.statements([call('call_a', 'job1', 0.25), call('call_b', 'job1', 0.5), call('call_c', null, 1)]),
    ...completedRows.statements([{ ...lease(a!.seq), status: 'matched', errorCode: null, errorMessage: null }]),
    ...releasedRows.statements([{ ...lease(b!.seq), runAt: 5000, countAttempt: true }]),
  ];
  await commit(statements);
  await commit(statements);

  const [job] = await db.all<{ cost: number }>(sql`SELECT cost_usd AS cost FROM jobs WHERE id = 'job1'`);
  expect(job!.cost).toBe(0.75);
  const calls = await db.all<{ id: string }>(sql`SELECT call_id AS id FROM calls ORDER BY call_id`);
  expect(calls.map((r) => r.id)).toEqual(['call_a', 'call_b', 'call_c']);
  expect(await db.all(sql`SELECT input_key AS k, "values" AS v FROM cache`)).toEqual([{ k: 'domain=d0.com', v: '{"company.name":"D0"}' }]);
  const states = await db.all<{ seq: number; status: string; attempts: number; lockedBy: string | null }>(
    sql`SELECT seq, status, attempts, locked_by AS lockedBy FROM rows WHERE job_id = 'job1' ORDER BY seq`,
  );
  expect(states).toEqual([
    { seq: a!.seq, status: 'matched', attempts: 0, lockedBy: null },
    { seq: b!.seq, status: 'pending', attempts: 1, lockedBy: null },
    { seq: c!.seq, status: 'running', attempts: 0, lockedBy: 'w1' },
  ]);
});
