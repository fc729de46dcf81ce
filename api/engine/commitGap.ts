/**
 * Least time between the starts of two commits to a libSQL server. Each is a
 * round trip and a write transaction there, for one entry as for a hundred:
 * with the embedded default's 4 ms, one instance committed a 2,000-row bench
 * job in 1.7–2.2 round trips a row, with 15 ms in 1.1, at the same pace
 * (`npm run bench -- cluster`). The price: 15 ms of answers more that a
 * crash loses before their commit, to be bought again.
 */
export const REMOTE_COMMIT_GAP_MS = 15;
/** The gap grows with the members up to this many times. */
const COMMIT_GAP_MEMBERS = 3;
/** A member holding no more rows than this commits as one alone would. */
const FEW_ROWS = 50;

/**
 * The gap for a member of `members` holding `rowsInHand` rows. In a cluster
 * it grows with the members, up to COMMIT_GAP_MEMBERS times: each member buys
 * its part of the answers, so a crash still loses about as many, and the
 * server takes about as many commits as from one instance. Three instances
 * committed the same job in 2.2–2.5 round trips a row at 15 ms and 1.5 at
 * 45 ms, at the same pace (4 runs each).
 *
 * Not while the member holds few rows: that is a job's first slice or its
 * last rows, or a trickle, where each commit carries few entries however
 * long it waits, and the next step of a row waits for it. At 45 ms, the job's
 * end came two gaps later (the last answers' commit, then the last rows').
 * A commit someone waits on (a real-time lookup's answer, a row of a lead
 * someone is waiting for) keeps 15 ms in any case (Journal's soonGapMs).
 */
export function remoteCommitGapMs(members: number, rowsInHand: number): number {
  return REMOTE_COMMIT_GAP_MS * (rowsInHand <= FEW_ROWS ? 1 : Math.min(COMMIT_GAP_MEMBERS, members));
}
