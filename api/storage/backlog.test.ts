import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { tempDatabase } from '../../test/helpers/tempDatabase.js';
import { backlogStore } from './backlog.js';
import { effectsStore } from './effects.js';
import { jobsStore } from './jobs.js';
import { rowsStore } from './rows.js';

const database = tempDatabase('backlog');

const pending = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, input: { domain: `${prefix}${i}.com` }, status: 'pending' as const }));

it('counts the rows no instance holds (due, or to be tried later) of running jobs only, and unsettled effects by target kind', async () => {
  const { db } = database();
  const jobs = jobsStore(db);
  await jobs.create({ id: 'running', workspaceId: 'ws1', fields: ['company.name'], rows: pending(10, 'r') }, 0);
  await jobs.create({ id: 'cancelled', workspaceId: 'ws2', fields: ['company.name'], rows: pending(5, 'c') }, 0);
  await jobs.cancel('cancelled', 0);
  // Three rows in an instance's hands; two to be tried again later.
  await rowsStore(db).claim('running', 3, 'w1', 60_000, 10);
  await db.run(sql`UPDATE rows SET run_at = 5000 WHERE job_id = 'running' AND status = 'pending' AND seq >= 8`);

  const effects = effectsStore(db);
  const effect = (id: string, target: string) => ({ id, workspaceId: 'ws1', target, jobId: 'running', seq: 0, payload: {}, priority: 0 });
  await effects.enqueue(effect('a', 'ws1/hubspot'), 0);
  await effects.enqueue(effect('b', '*/hubspot'), 0);
  await effects.enqueue(effect('c', 'ws1/slack'), 0);
  await effects.enqueue(effect('d', 'ws1/slack'), 0);
  // One Slack message sent and settled: no longer waiting.
  const [sent] = await effects.claimDue('ws1/slack', 1, 'w1', 60_000, 10);
  await effects.settle('w1', [{ id: sent!.id, status: 'done', result: {} }], 20);

  expect(await backlogStore(db).backlog(100)).toEqual({ rowsDue: 5, rowsLater: 2, effects: { hubspot: 2, slack: 1 } });
  // Later rows fall due with time.
  expect((await backlogStore(db).backlog(6000)).rowsDue).toBe(7);
});
