/**
 * Requests per second with almost no burst. Any one-second window a provider
 * measures sees at most capacity + refill rate starts, so with a capacity of
 * two the bucket refills at rate - 2 and no window passes `rate` (a burst of
 * a tenth of a second used to break fixed windows). Two, not one, so the
 * fraction of a token left when a timer fires late is not thrown away.
 */
const CAPACITY = 2;

export class TokenBucket {
  private tokens: number;
  private last: number;

  private rate: number;

  constructor(
    private nominal: number,
    now: number,
  ) {
    this.rate = TokenBucket.effective(nominal);
    this.tokens = CAPACITY;
    this.last = now;
  }

  private static effective(rate: number): number {
    return rate > 2 * CAPACITY ? rate - CAPACITY : rate / 2;
  }

  get perSecond(): number {
    return this.nominal;
  }

  setRate(rate: number, now: number): void {
    this.refill(now);
    this.nominal = rate;
    this.rate = TokenBucket.effective(rate);
  }

  /** Takes a token and returns 0, or returns how many ms until one is there. */
  take(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  private refill(now: number): void {
    this.tokens = Math.min(CAPACITY, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }
}
