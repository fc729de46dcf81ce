/**
 * Per-job spending, in memory and ahead of the database: a call reserves its
 * worst-case cost before it starts, so concurrent calls cannot together pass
 * the cap. The database's job cost is the durable copy this is seeded from.
 */
export class Budgets {
  private readonly jobs = new Map<string, { max: number | null; spent: number; reserved: number }>();

  track(jobId: string, max: number | null, spentInDb: number): void {
    const b = this.jobs.get(jobId);
    if (b) {
      b.max = max;
      b.spent = Math.max(b.spent, spentInDb);
    } else {
      this.jobs.set(jobId, { max, spent: spentInDb, reserved: 0 });
    }
  }

  reserve(jobId: string | null, amount: number): boolean {
    if (!jobId || amount === 0) return true;
    const b = this.jobs.get(jobId);
    if (!b || b.max === null) return true;
    if (b.spent + b.reserved + amount > b.max + 1e-9) return false;
    b.reserved += amount;
    return true;
  }

  settle(jobId: string | null, reserved: number, spent: number): void {
    if (!jobId) return;
    const b = this.jobs.get(jobId);
    if (!b) return;
    b.reserved -= reserved;
    b.spent += spent;
  }

  forget(jobId: string): void {
    this.jobs.delete(jobId);
  }
}
