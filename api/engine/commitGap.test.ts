import { expect, it } from 'vitest';
import { REMOTE_COMMIT_GAP_MS, remoteCommitGapMs } from './commitGap.js';

it('grows with the members, up to three times, while a member holds many rows; stays short while it holds few', () => {
  expect([1, 2, 3, 5].map((members) => remoteCommitGapMs(members, 600))).toEqual([1, 2, 3, 3].map((n) => n * REMOTE_COMMIT_GAP_MS));
  expect([0, 1, 50].map((rows) => remoteCommitGapMs(3, rows))).toEqual([REMOTE_COMMIT_GAP_MS, REMOTE_COMMIT_GAP_MS, REMOTE_COMMIT_GAP_MS]);
  expect(remoteCommitGapMs(3, 51)).toBe(3 * REMOTE_COMMIT_GAP_MS);
});
