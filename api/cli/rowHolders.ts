import type { Client } from '@libsql/client';

/**
 * Which member worked which rows of a job, seen from the database: a running
 * row names its holder in `locked_by` (a member's id) until it is finished or
 * released, when the column is cleared. Sampled often enough to see every row
 * held (a row of the demo is held for its providers' round trips, hundreds of
 * milliseconds). A row released and claimed again counts for each holder.
 */
export class RowHolders {
  private readonly seen = new Map<string, Set<number>>();
  private now = new Map<string, number>();
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly db: Client,
    private readonly jobId: string,
    private readonly everyMs = 50,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Takes a last sample and stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.sample();
  }

  /** Distinct rows each member was seen holding. */
  worked(member: string): number {
    return this.seen.get(member)?.size ?? 0;
  }

  /** Rows each member holds as of the last sample. */
  holding(member: string): number {
    return this.now.get(member) ?? 0;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.sample();
      await new Promise((r) => setTimeout(r, this.everyMs));
    }
  }

  private async sample(): Promise<void> {
    // A sample lost to a busy moment is only a sample.
    const rs = await this.db
      .execute({ sql: "SELECT seq, locked_by FROM rows WHERE job_id = ? AND status = 'running'", args: [this.jobId] })
      .catch(() => undefined);
    if (!rs) return;
    const now = new Map<string, number>();
    for (const r of rs.rows) {
      const by = String(r.locked_by);
      let rows = this.seen.get(by);
      if (!rows) this.seen.set(by, (rows = new Set()));
      rows.add(Number(r.seq));
      now.set(by, (now.get(by) ?? 0) + 1);
    }
    this.now = now;
  }
}
