import { shareOf } from '../flow/clusterFlow.js';
import type { ActiveTarget } from '../storage/writes.js';

/**
 * Who writes each Google user's jobs now, as one member sees it: itself for
 * the targets it holds, another member for a target under its unexpired
 * lease; targets nobody holds count for no one.
 */
export function userWriters(
  targets: readonly ActiveTarget[],
  self: string,
  holds: (t: ActiveTarget) => boolean,
  userOf: (t: ActiveTarget) => string,
): Map<string, Set<string>> {
  const writers = new Map<string, Set<string>>();
  for (const t of targets) {
    const holder = holds(t) ? self : t.claimable ? null : t.writerId;
    if (!holder) continue;
    const user = userOf(t);
    writers.set(user, (writers.get(user) ?? new Set()).add(holder));
  }
  return writers;
}

/**
 * This member's per-user quota for each user other members write too: its
 * share of `total` among that user's writers (shareOf, so the shares sum to
 * the quota). A user only this member writes is not named: the whole quota.
 */
export function userShares(writers: ReadonlyMap<string, ReadonlySet<string>>, total: number, self: string): Map<string, number> {
  const shares = new Map<string, number>();
  for (const [user, ids] of writers) if (ids.size > 1 || !ids.has(self)) shares.set(user, shareOf(total, [...ids], self));
  return shares;
}
