import { expect, it } from 'vitest';
import type { ActiveTarget } from '../storage/writes.js';
import { userShares, userWriters } from './userShares.js';

const target = (jobId: string, user: string, writerId: string | null, claimable: boolean) =>
  ({ jobId, userKey: user, workspaceId: 'w', writerId, claimable }) as unknown as ActiveTarget;

it("splits a user's quota among the members writing that user's jobs, and leaves whole what only this member writes", () => {
  const targets = [
    // alice: two jobs, both this member's (m1).
    target('a1', 'alice', 'm1', false),
    target('a2', 'alice', 'm1', false),
    // bob: one job here, one under m2's lease.
    target('b1', 'bob', 'm1', false),
    target('b2', 'bob', 'm2', false),
    // carol: written by m2 alone; dave: m3's lease ran out (free), so no one writes his job.
    target('c1', 'carol', 'm2', false),
    target('d1', 'dave', 'm3', true),
  ];
  const writers = userWriters(
    targets,
    'm1',
    (t) => t.writerId === 'm1' && !t.claimable,
    (t) => (t as unknown as { userKey: string }).userKey,
  );
  expect(Object.fromEntries([...writers].map(([u, ids]) => [u, [...ids].sort()]))).toEqual({ alice: ['m1'], bob: ['m1', 'm2'], carol: ['m2'] });
  // 60 a minute: alice's whole here (not named); bob's split 30/30; carol's: m1 would share it with m2 if it took one of her jobs.
  expect(userShares(writers, 60, 'm1')).toEqual(
    new Map([
      ['bob', 30],
      ['carol', 30],
    ]),
  );
  expect(userShares(writers, 61, 'm2')).toEqual(
    new Map([
      ['alice', 30],
      ['bob', 30],
    ]),
  );
  // The shares of a user's writers sum to the quota.
  expect(userShares(writers, 61, 'm1').get('bob')! + userShares(writers, 61, 'm2').get('bob')!).toBe(61);
});
