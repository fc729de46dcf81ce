import { setTimeout as sleep } from 'node:timers/promises';

const PRUNE_AT = 10_000;

/**
 * Spaces requests to one host: a column full of one domain reaches that
 * domain's server (or DNS) at most once per interval, whatever the
 * provider's overall concurrency. Each caller reserves the next free start,
 * so waiting is first come, first served.
 */
export class HostLimiter {
  private readonly nextStart = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  async wait(host: string, signal?: AbortSignal): Promise<void> {
    if (this.intervalMs <= 0) return;
    const now = this.now();
    if (this.nextStart.size > PRUNE_AT) {
      for (const [h, at] of this.nextStart) if (at <= now) this.nextStart.delete(h);
    }
    const at = Math.max(now, this.nextStart.get(host) ?? 0);
    this.nextStart.set(host, at + this.intervalMs);
    if (at > now) await sleep(at - now, undefined, { signal });
  }
}
