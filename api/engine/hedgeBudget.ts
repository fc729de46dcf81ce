/**
 * Every hedge is a second paid call, so hedges are rationed: each real-time
 * lookup earns `ratio` of a hedge, and a hedge spends one whole.
 */
export class HedgeBudget {
  private tokens = 1;

  constructor(
    private readonly ratio: number,
    private readonly max = 10,
  ) {}

  earn(): void {
    this.tokens = Math.min(this.max, this.tokens + this.ratio);
  }

  spend(): boolean {
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
