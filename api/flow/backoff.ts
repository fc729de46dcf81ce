/** A delay spread by ±20%, so work that failed together (rows, a writer's requests) does not come back together. */
export const jittered = (ms: number, random: () => number): number => Math.round(ms * (0.8 + 0.4 * random()));

/** The delay before try `attempt` (1 for the first retry): doubling from `first` up to `cap`, jittered. */
export const doublingBackoff = (attempt: number, [first, cap]: readonly [number, number], random: () => number): number =>
  jittered(Math.min(cap, first * 2 ** (attempt - 1)), random);
