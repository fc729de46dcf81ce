import type { Clock } from '../clock.js';
import { FairQueue } from '../flow/fairQueue.js';

export interface QuotaTicket {
  workspace: string;
  /** The Google user whose per-user quota the request spends. */
  user: string;
}

/** A slot the scheduler gave: say when its request is sent, or that none was. */
export interface QuotaSlot {
  /** Wraps the request: the slot is counted from when `request` starts until a window after it settles. */
  send<T>(request: () => Promise<T>): Promise<T>;
  /** Nothing was sent (or it already was): the slot goes back, or stays counted as it is. Safe to call twice. */
  release(): void;
}

interface Waiter extends QuotaTicket {
  since: number;
  /** Given a slot, or gone (its signal aborted): either way no longer waiting. */
  done: boolean;
  resolve(slot: QuotaSlot): void;
}

/**
 * Hands out request slots under Google's per-minute quotas: at most
 * `perUser` requests per user and `perProject` in all within any window.
 *
 * Google counts a request somewhere between our sending it and its answer,
 * and a slot's holder may take a while (reading rows) before it sends. So a
 * request is counted from when it is sent, not when its slot was given: a
 * slot given and not yet answered holds its place in both quotas, and an
 * answered request stays in the window until `windowMs` after its answer.
 * Then any two requests `perUser` apart are a full window apart at Google
 * too, however long each one waited before it went out or took to arrive.
 *
 * The project quota is shared by every user of the add-on, so slots go
 * round-robin by workspace, and within a workspace round-robin by user,
 * through the same fair queue the providers' gates use: a big job cannot
 * starve a small one. A user held back by their own quota keeps their turn
 * while others are served.
 */
export class QuotaScheduler {
  private project: number[] = [];
  private readonly users = new Map<string, number[]>();
  /** Slots given and not yet answered (or given back), in all and per user. */
  private projectHeld = 0;
  private readonly held = new Map<string, number>();
  private readonly blockedUntil = new Map<string, number>();
  private readonly waiting = new FairQueue<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  /** Time requests spent waiting for a slot, for the benchmark's report. */
  waitedMs = 0;
  granted = 0;

  constructor(
    private limits: { perUser: number; perProject: number; windowMs: number },
    private readonly clock: Clock,
  ) {}

  /** Users whose quota here is not `perUser` (a share of it, when other instances write their jobs too). */
  private userLimits: ReadonlyMap<string, number> = new Map();

  /** New quotas (this instance's share, as the cluster changes): slots out stay out; new ones wait until under the new figures. */
  setLimits(limits: { perUser: number; perProject: number }): void {
    this.limits = { ...this.limits, ...limits };
    this.pump();
  }

  /** Per-user quotas other than `perUser`, by user; a user not named has `perUser`. Same rule as setLimits. */
  setUserLimits(limits: ReadonlyMap<string, number>): void {
    this.userLimits = limits;
    this.pump();
  }

  /** Resolves with a slot once it is the caller's. Rejects if `signal` aborts first. */
  acquire(ticket: QuotaTicket, signal?: AbortSignal): Promise<QuotaSlot> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        // Left in the queue, marked: the queue drops it when its turn comes.
        waiter.done = true;
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        ...ticket,
        since: this.clock.now(),
        done: false,
        resolve: (slot) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(slot);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push({ realtime: false, workspace: ticket.workspace, job: ticket.user }, waiter);
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

  /** When a request may start given `log` (answered requests, oldest first) and `held` slots out, within `limit`; Infinity while the held slots alone fill it. */
  private static freeIn(log: number[], held: number, limit: number, windowMs: number): number {
    const room = limit - held;
    if (room <= 0) return Infinity;
    // At most room - 1 answers may remain in the window: wait for the room-th latest to leave it.
    return log.length >= room ? log[log.length - room]! + windowMs : -Infinity;
  }

  /** When `user` may next send, or now. */
  private freeAt(user: string, now: number): number {
    const { perProject, windowMs } = this.limits;
    const perUser = this.userLimits.get(user) ?? this.limits.perUser;
    const mine = this.usedBy(user, now - windowMs);
    return Math.max(
      now,
      this.blockedUntil.get(user) ?? 0,
      this.blockedUntil.get('') ?? 0,
      QuotaScheduler.freeIn(mine, this.held.get(user) ?? 0, perUser, windowMs),
      QuotaScheduler.freeIn(this.project, this.projectHeld, perProject, windowMs),
    );
  }

  private give(user: string): QuotaSlot {
    this.projectHeld++;
    this.held.set(user, (this.held.get(user) ?? 0) + 1);
    let state: 'held' | 'sending' | 'done' = 'held';
    const finish = (counted: boolean) => {
      if (state === 'done') return;
      state = 'done';
      this.projectHeld--;
      const n = (this.held.get(user) ?? 1) - 1;
      if (n > 0) this.held.set(user, n);
      else this.held.delete(user);
      if (counted) {
        const now = this.clock.now();
        this.project.push(now);
        this.usedBy(user, now - this.limits.windowMs).push(now);
      }
      this.pump();
    };
    return {
      send: async (request) => {
        if (state !== 'held') throw new Error('quota slot already used');
        state = 'sending';
        try {
          return await request();
        } finally {
          finish(true);
        }
      },
      release: () => {
        if (state === 'held') finish(false);
      },
    };
  }

  private pump(): void {
    const now = this.clock.now();
    this.project = this.project.filter((t) => t > now - this.limits.windowMs);
    for (;;) {
      const w = this.waiting.shift((x) => x.done || this.freeAt(x.user, now) <= now);
      if (!w) break;
      if (w.done) continue;
      w.done = true;
      this.granted++;
      this.waitedMs += now - w.since;
      w.resolve(this.give(w.user));
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // A waiter held back only by slots still out (Infinity) is looked at again when one comes back.
    let next = Infinity;
    for (const w of this.waiting.heads()) if (!w.done) next = Math.min(next, this.freeAt(w.user, now));
    if (Number.isFinite(next)) this.timer = setTimeout(() => this.pump(), Math.max(1, next - now));
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
