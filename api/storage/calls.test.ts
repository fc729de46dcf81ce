import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { tempDatabase } from '../../test/helpers/tempDatabase.js';
import { cacheHitCounts, callsStore, recordedCalls, type JournaledCall } from './calls.js';
import { jobsStore } from './jobs.js';

const database = tempDatabase('calls');

const call: JournaledCall = {
  id: 'call_1',
  workspaceId: 'ws',
  providerId: 'acme',
  jobId: 'job1',
  segment: 'co.uk',
  outcome: 'no_match',
  httpStatus: 404,
  latencyMs: 42.5,
  costUsd: 0.002,
  at: 1000,
};

// Each field of an entry is read by its name: one written into another's column would show here.
it('journals each field of a call into its column and books its cost on the job', async () => {
  const { db, commit } = database();
  await jobsStore(db).create({ id: 'job1', workspaceId: 'ws', fields: ['company.name'], rows: [] }, 0);
  await commit(recordedCalls.statements([call, { ...call, id: 'call_2', jobId: null, outcome: 'rate_limited', httpStatus: null, costUsd: 0 }]));
  expect(
    await db.all(sql`
      SELECT call_id AS id, workspace_id AS workspaceId, provider_id AS providerId, job_id AS jobId, segment, outcome,
        http_status AS httpStatus, latency_ms AS latencyMs, cost_usd AS costUsd, at
      FROM calls ORDER BY call_id`),
  ).toEqual([call, { ...call, id: 'call_2', jobId: null, outcome: 'rate_limited', httpStatus: null, costUsd: 0 }]);
  expect((await jobsStore(db).find('ws', 'job1'))?.costUsd).toBe(0.002);
  expect(await callsStore(db).tallies(0)).toEqual([{ workspaceId: 'ws', providerId: 'acme', segment: 'co.uk', answered: 1, matches: 0, latencyMs: 42.5 }]);
});

it('adds cache hits to the day’s counter of their workspace, provider and job', async () => {
  const { db, commit } = database();
  const hits = { workspaceId: 'ws', providerId: 'acme', jobId: 'job1', day: 3, hits: 5 };
  await commit(cacheHitCounts.statements([hits, { ...hits, providerId: 'globex', hits: 1 }]));
  await commit(cacheHitCounts.statements([{ ...hits, hits: 2 }]));
  expect(
    await db.all(sql`SELECT workspace_id AS workspaceId, provider_id AS providerId, job_id AS jobId, day, hits FROM cache_hits ORDER BY provider_id`),
  ).toEqual([
    { ...hits, hits: 7 },
    { ...hits, providerId: 'globex', hits: 1 },
  ]);
});
