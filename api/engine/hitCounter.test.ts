import { expect, it } from 'vitest';
import { tempDatabase } from '../../test/helpers/tempDatabase.js';
import { callsStore } from '../storage/calls.js';
import { Journal } from '../storage/journal.js';
import type { Clock } from '../clock.js';
import { HitCounter } from './hitCounter.js';

const db = tempDatabase('hits');

const DAY = 86_400_000;

it('adds counts up in memory and commits them per workspace, provider and job on flush', async () => {
  let now = 10 * DAY;
  const clock: Clock = { now: () => now };
  const hits = new HitCounter(new Journal(db().commit), clock, () => {});
  hits.count('ws', 'a', 'job_1');
  hits.count('ws', 'a', 'job_1', 4);
  hits.count('ws', 'b', null);
  hits.count('other', 'a', 'job_2', 7);
  await hits.flush();
  // Counts of a later day add to the same provider's figure; a flush with nothing counted commits nothing.
  now += DAY;
  hits.count('ws', 'a', 'job_1', 2);
  await hits.stop();
  await hits.flush();

  const hitsOf = async (ws: string, jobId?: string) =>
    Object.fromEntries((await callsStore(db().db).metrics(ws, 0, jobId)).providers.map((p) => [p.providerId, p.cacheHits]));
  expect(await hitsOf('ws')).toEqual({ a: 7, b: 1 });
  expect(await hitsOf('ws', 'job_1')).toEqual({ a: 7 });
  expect(await hitsOf('other')).toEqual({ a: 7 });
});
