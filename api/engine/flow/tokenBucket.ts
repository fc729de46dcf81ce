/**
 * Requests per second with a small burst. The burst is a tenth of a second's
 * worth so that no one-second window a provider measures ever sees more than
 * `rate` plus one.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private rate: number,
    now: number,
  ) {
    this.tokens = this.capacity;
    this.last = now;
  }

  get perSecond(): number {
    return this.rate;
  }

  private get capacity(): number {
    return Math.max(1, this.rate / 10);
  }

  setRate(rate: number, now: number): void {
    this.refill(now);
    this.rate = rate;
    this.tokens = Math.min(this.tokens, this.capacity);
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
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }
}
