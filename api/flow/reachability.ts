/** Calls in a row that got no answer from any provider, before a member counts itself cut off. */
export const UNANSWERED_IN_A_ROW = 8;
/** How long a member cut off takes no rows, the first time; doubled each time it is still cut off, up to the most. */
export const BACK_OFF_MS = 5_000;
export const BACK_OFF_MAX_MS = 60_000;

export interface ReachabilityOptions {
  now: () => number;
  /** Told each time the member is cut off, with how long for: operators see it in the log. */
  onCutOff?(backOffMs: number): void;
  threshold?: number;
  backOffMs?: number;
  backOffMaxMs?: number;
}

/**
 * Whether this member reaches the providers at all. A call that got no HTTP
 * answer (a refused connection, a reset, a timeout) may be this member's own
 * fault: its way out (a firewall, a proxy, its DNS) rather than the provider.
 * A member whose last `threshold` calls, to whichever providers, all went
 * unanswered is cut off for a back-off; in a cluster it takes no rows
 * meanwhile (Runner's mayClaim). Its calls fail at once, so it was the
 * quickest of the members to claim again, and the rows it released for a
 * retry came back to it until their tries ran out; now the members that
 * reach the providers run them. After the back-off it claims again, and its
 * next calls say whether it still is cut off (the back-off doubles if so).
 *
 * Invariants: any answer, from any provider, clears the count and the
 * back-off; a member that never sent a call is not cut off.
 */
export class Reachability {
  private unanswered = 0;
  private backOffMs: number;
  private cutOffUntil = -Infinity;
  private readonly threshold: number;
  private readonly firstBackOffMs: number;
  private readonly maxBackOffMs: number;

  constructor(private readonly opts: ReachabilityOptions) {
    this.threshold = opts.threshold ?? UNANSWERED_IN_A_ROW;
    this.firstBackOffMs = this.backOffMs = opts.backOffMs ?? BACK_OFF_MS;
    this.maxBackOffMs = opts.backOffMaxMs ?? BACK_OFF_MAX_MS;
  }

  /** A call ended with an HTTP answer of any kind (`answered`), or with none. */
  record(answered: boolean): void {
    if (answered) {
      this.unanswered = 0;
      this.backOffMs = this.firstBackOffMs;
      this.cutOffUntil = -Infinity;
      return;
    }
    if (++this.unanswered < this.threshold) return;
    // Counted afresh: after the back-off, `threshold` more unanswered calls cut it off again, for twice as long.
    this.unanswered = 0;
    this.cutOffUntil = this.opts.now() + this.backOffMs;
    this.opts.onCutOff?.(this.backOffMs);
    this.backOffMs = Math.min(this.maxBackOffMs, this.backOffMs * 2);
  }

  /** Whether the last `threshold` calls went unanswered, less than the back-off ago. */
  get cutOff(): boolean {
    return this.opts.now() < this.cutOffUntil;
  }
}
