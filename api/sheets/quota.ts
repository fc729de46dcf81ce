import type { Clock } from '../engine/clock.js';

export interface QuotaTicket {
  workspace: string;
  /** The Google user whose per-user quota the request spends. */
  user: string;
}

interface Waiter extends QuotaTicket {
  since: number;
  resolve(waitedMs: number): void;
}

/**
 * Hands out request slots under Google's per-minute quotas: at most
 * `perUser` requests per user and `perProject` in all within any window.
 * The project quota is shared by every user of the add-on, so slots go
 * round-robin by workspace, and within a workspace to the user served least
 * recently: a big job cannot starve a small one.
 */
export class QuotaScheduler {
  private project: number[] = [];
  private readonly users = new Map<string, number[]>();
  private readonly blockedUntil = new Map<string, number>();
  private readonly lastServed = new Map<string, number>();
  private readonly waiting = new Map<string, Waiter[]>();
  private turn = 0;
  private timer: NodeJS.Timeout | undefined;
  private serial = 0;
  /** Time requests spent waiting for a slot, for the benchmark's report. */
  waitedMs = 0;
  granted = 0;

  constructor(
    private readonly limits: { perUser: number; perProject: number; windowMs: number },
    private readonly clock: Clock,
  ) {}

  /** Resolves with the time waited once a slot is the caller's; the slot is counted from then. Rejects if `signal` aborts first. */
  acquire(ticket: QuotaTicket, signal?: AbortSignal): Promise<number> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const list = this.waiting.get(ticket.workspace) ?? [];
      const onAbort = () => {
        const l = this.waiting.get(ticket.workspace);
        const i = l?.indexOf(waiter) ?? -1;
        if (i >= 0) l!.splice(i, 1);
        if (l?.length === 0) this.waiting.delete(ticket.workspace);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        ...ticket,
        since: this.clock.now(),
        resolve: (ms) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(ms);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      list.push(waiter);
      this.waiting.set(ticket.workspace, list);
      this.pump();
    });
  }

  /** After a 429: nothing more for this user (or, with `null`, for anyone) until `ms` from now. */
  holdOff(user: string | null, ms: number): void {
    const key = user ?? '';
    this.blockedUntil.set(key, Math.max(this.blockedUntil.get(key) ?? 0, this.clock.now() + ms));
    this.pump();
  }

  private usedBy(user: string, since: number): number[] {
    const log = (this.users.get(user) ?? []).filter((t) => t > since);
    this.users.set(user, log);
    return log;
  }

  /** When `user` may next send, or now. */
  private freeAt(user: string, now: number): number {
    const since = now - this.limits.windowMs;
    const mine = this.usedBy(user, since);
    let at = Math.max(now, this.blockedUntil.get(user) ?? 0, this.blockedUntil.get('') ?? 0);
    if (mine.length >= this.limits.perUser) at = Math.max(at, mine[mine.length - this.limits.perUser]! + this.limits.windowMs);
    if (this.project.length >= this.limits.perProject) at = Math.max(at, this.project[this.project.length - this.limits.perProject]! + this.limits.windowMs);
    return at;
  }

  private pump(): void {
    const now = this.clock.now();
    this.project = this.project.filter((t) => t > now - this.limits.windowMs);
    let next = Infinity;
    for (;;) {
      const workspaces = [...this.waiting.keys()];
      if (workspaces.length === 0) break;
      let served = false;
      for (let i = 0; i < workspaces.length && !served; i++) {
        const ws = workspaces[(this.turn + i) % workspaces.length]!;
        const list = this.waiting.get(ws)!;
        // The user of this workspace served least recently, among those who may send now.
        let pick: Waiter | undefined;
        for (const w of list) {
          const at = this.freeAt(w.user, now);
          if (at > now) {
            next = Math.min(next, at);
            continue;
          }
          if (!pick || (this.lastServed.get(w.user) ?? -1) < (this.lastServed.get(pick.user) ?? -1)) pick = w;
        }
        if (!pick) continue;
        list.splice(list.indexOf(pick), 1);
        if (list.length === 0) this.waiting.delete(ws);
        this.turn = (this.turn + i + 1) % Math.max(1, workspaces.length);
        this.project.push(now);
        this.usedBy(pick.user, now - this.limits.windowMs).push(now);
        this.lastServed.set(pick.user, ++this.serial);
        this.granted++;
        this.waitedMs += now - pick.since;
        pick.resolve(now - pick.since);
        served = true;
      }
      if (!served) break;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waiting.size > 0 && Number.isFinite(next)) this.timer = setTimeout(() => this.pump(), Math.max(1, next - now));
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
