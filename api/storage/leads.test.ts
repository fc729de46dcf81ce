import { describe, expect, it } from 'vitest';
import { tempDatabase } from '../../test/helpers/tempDatabase.js';
import { jobsStore } from './jobs.js';
import { leadsStore } from './leads.js';

const db = tempDatabase('leads');
const DAY = 86_400_000;

async function leadJob(id: string, keys: string[]) {
  const jobs = jobsStore(db().db);
  await jobs.create(
    {
      id,
      workspaceId: 'ws',
      fields: ['company.name', 'lead.score'],
      pipeline: { source: 'form', deliver: false, notify: false },
      rows: keys.map((key) => ({ key, input: { email: `${key}@x.com` }, status: 'pending' as const })),
    },
    0,
  );
  return jobs;
}

describe('claimIdentity', () => {
  it('gives an identity to its first run in the window, to itself again, and to a later run after the window', async () => {
    await leadJob('job_a', ['a', 'b']);
    const leads = leadsStore(db().db);
    expect(await leads.claimIdentity('ws', 'email:ana@x.com', 'job_a', 0, 10 * DAY, 0)).toMatchObject({ jobId: 'job_a', seq: 0, key: 'a' });
    expect(await leads.claimIdentity('ws', 'email:ana@x.com', 'job_a', 1, 11 * DAY, DAY)).toMatchObject({ seq: 0 });
    expect(await leads.claimIdentity('ws', 'email:ana@x.com', 'job_a', 0, 11 * DAY, DAY)).toMatchObject({ seq: 0 });
    // Past the window (the holder took it before `after`): the later run holds it now.
    expect(await leads.claimIdentity('ws', 'email:ana@x.com', 'job_a', 1, 50 * DAY, 20 * DAY)).toMatchObject({ seq: 1, key: 'b' });
    // Another workspace's identities are its own.
    expect(await leads.claimIdentity('other', 'email:ana@x.com', 'job_a', 0, 50 * DAY, 20 * DAY)).toMatchObject({ seq: 0 });
  });

  it("takes an identity over from a cancelled job's run: it may never end, and its duplicates would wait for ever", async () => {
    const jobs = await leadJob('job_c', ['c']);
    await leadJob('job_d', ['d']);
    const leads = leadsStore(db().db);
    await leads.claimIdentity('ws', 'email:bo@x.com', 'job_c', 0, DAY, 0);
    expect(await leads.claimIdentity('ws', 'email:bo@x.com', 'job_d', 0, DAY, 0)).toMatchObject({ jobId: 'job_c' });
    await jobs.cancel('job_c', DAY);
    expect(await leads.claimIdentity('ws', 'email:bo@x.com', 'job_d', 0, DAY, 0)).toMatchObject({ jobId: 'job_d', key: 'd' });
  });
});

describe('takeTurn', () => {
  it("numbers a rule's leads in turn, each lead's turn taken once", async () => {
    await leadJob('job_t', ['1', '2', '3']);
    const leads = leadsStore(db().db);
    expect(await leads.takeTurn('ws', 'ae', 'job_t', 0)).toBe(0);
    expect(await leads.takeTurn('ws', 'ae', 'job_t', 1)).toBe(1);
    // A run resuming after a crash finds its turn: no owner skipped, none given two in a row.
    expect(await leads.takeTurn('ws', 'ae', 'job_t', 0)).toBe(0);
    expect(await leads.takeTurn('ws', 'ae', 'job_t', 2)).toBe(2);
    expect(await leads.takeTurn('ws', 'nurture', 'job_t', 2)).toBe(0);
    // Racing takers of one rule (two instances) get distinct numbers.
    await leadJob(
      'job_r',
      Array.from({ length: 20 }, (_, i) => `r${i}`),
    );
    const turns = await Promise.all(Array.from({ length: 20 }, (_, i) => leads.takeTurn('ws', 'race', 'job_r', i)));
    expect(new Set(turns).size).toBe(20);
  });
});
