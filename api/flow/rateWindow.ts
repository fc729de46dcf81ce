/**
 * How far the provider's clock may disagree with ours about when a request
 * started: its event loop stamps arrivals late, and a few requests sent at
 * the end of our window may land in the same window of its own. This is
 * where the margin starts; 429s widen it (see widen()).
 */
export const ARRIVAL_JITTER_MS = 15;
/** The widest margin: a tenth of the rate, for the most jittery path. */
export const MAX_JITTER_MS = 120;
/** A widened margin halves after this long without a 429: the jitter that caused it may have passed. */
export const NARROW_AFTER_MS = 60_000;
/**
 * How much later than sent the starts of a window after a quiet spell count.
 * They go out on new connections, and a request waits for its connection's
 * handshake: the first requests of a bench job reached the simulated
 * provider 14–21 ms after they were sent (the rest 0–1 ms), past the margin,
 * while the next second's went on open connections at once; that second's
 * window at the provider got 151 of 150 (a 429, and a second's pause for the
 * whole cluster), in 2 of 7 three-instance jobs at one bench sitting.
 */
export const NEW_CONNECTION_MS = 25;
/** A quarter of the rate may start at once, the rest spread over the second. */
const BURST_FRACTION = 0.25;

/** The start times of the last `size` requests: another may start once the earliest is a window old. */
class StartLog {
  private starts = new Float64Array(0);
  private oldest = 0;
  private windowMs = 0;

  /** How long a start holds its place. */
  get span(): number {
    return this.windowMs;
  }

  /** Keeps the most recent starts, so a new rate counts what was already sent. */
  resize(size: number, windowMs: number): void {
    const previous = this.starts;
    const chronological = Array.from({ length: previous.length }, (_, i) => previous[(this.oldest + i) % previous.length]!);
    const kept = chronological.slice(Math.max(0, chronological.length - size));
    this.starts = new Float64Array(size).fill(-Infinity);
    this.starts.set(kept, size - kept.length);
    this.oldest = 0;
    this.windowMs = windowMs;
  }

  waitMs(now: number): number {
    const free = this.starts[this.oldest]! + this.windowMs;
    return now < free ? Math.max(1, Math.ceil(free - now)) : 0;
  }

  record(now: number): void {
    this.starts[this.oldest] = now;
    this.oldest = (this.oldest + 1) % this.starts.length;
  }
}

/**
 * Requests per second as sliding windows: at most `rate` starts in any
 * second (plus the jitter margin) and a quarter of that in any quarter of
 * a second. The first is the strictest way a provider can count, so no fixed or
 * sliding window of theirs sees more; the second keeps the starts smooth, as
 * a token bucket would. Unlike a token bucket with a tiny burst, a stall of
 * our event loop shorter than the burst window costs no throughput: the
 * starts it held back go when it ends.
 */
export class RateWindow {
  private readonly second = new StartLog();
  private readonly burst = new StartLog();
  private margin = ARRIVAL_JITTER_MS;
  private widenedAt = 0;
  private lastStart = -Infinity;
  /** Starts before this are the first window's after a quiet spell: they count NEW_CONNECTION_MS later. */
  private coldUntil = -Infinity;

  constructor(private nominal: number) {
    this.setRate(nominal);
  }

  get perSecond(): number {
    return this.nominal;
  }

  /**
   * A 429 although we kept to the rate: the provider saw our starts more
   * bunched than we sent them (its event loop, the network). Each one
   * doubles the margin; every quiet minute halves it again. A 429 costs a
   * second of the provider (its Retry-After), the margin a few percent.
   */
  widen(now: number): void {
    this.widenTo(this.margin * 2, now);
  }

  /**
   * Takes a margin another member of the cluster widened to on its 429s, if
   * wider than this one's: the provider saw the cluster's starts bunched, and
   * each member would otherwise pay for the lesson with 429s of its own.
   */
  widenTo(ms: number, now: number): void {
    // As wide as this one's: its quiet minute starts again, as after a 429 here.
    if (ms < this.margin) return;
    this.widenedAt = now;
    this.setMargin(Math.min(MAX_JITTER_MS, Math.max(this.margin, ms)));
  }

  /** The margin kept now for arrival jitter, ms. */
  get jitterMs(): number {
    return this.margin;
  }

  private setMargin(ms: number): void {
    if (ms === this.margin) return;
    this.margin = ms;
    this.setRate(this.nominal);
  }

  /** A rate below one a second becomes one start per longer window. */
  setRate(rate: number): void {
    this.nominal = rate;
    const size = Math.max(1, Math.floor(rate));
    const burst = Math.max(1, Math.ceil(size * BURST_FRACTION));
    this.second.resize(size, (size / rate) * 1000 + this.margin);
    this.burst.resize(burst, (burst / rate) * 1000);
  }

  /** Counts a start at `now` and returns 0, or returns how many ms until one may start. */
  take(now: number): number {
    if (this.margin > ARRIVAL_JITTER_MS && now - this.widenedAt >= NARROW_AFTER_MS) {
      this.widenedAt = now;
      this.setMargin(Math.max(ARRIVAL_JITTER_MS, this.margin / 2));
    }
    const wait = Math.max(this.second.waitMs(now), this.burst.waitMs(now));
    if (wait > 0) return wait;
    // Quiet for two windows: the connections may have closed (a provider keeps an idle one a few seconds).
    const windowMs = this.second.span;
    if (now - this.lastStart > 2 * windowMs) this.coldUntil = now + windowMs;
    this.lastStart = now;
    // Counted later, a start frees its place later: never earlier than sent, so the window still holds at send.
    this.second.record(now < this.coldUntil ? now + NEW_CONNECTION_MS : now);
    this.burst.record(now);
    return 0;
  }
}
