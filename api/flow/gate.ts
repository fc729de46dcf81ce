import type { Clock } from '../clock.js';
import { FairQueue, type Lane } from './fairQueue.js';
import { RateWindow } from './rateWindow.js';

export interface GateOptions {
  /** Documented concurrency: where AIMD starts and the most it probes up to. */
  concurrency?: number;
  /** Documented requests per second; without one, a rate is learned from the first 429. */
  ratePerSecond?: number;
  initialConcurrency: number;
  maxConcurrency: number;
  clock: Clock;
}

/**
 * How a call went, as far as flow control cares. `paced` is a 429 that said
 * when to come back (Retry-After): the pause does the pacing, so no rate is
 * learned from it; `congested` is a 429 that said nothing; `slow` a timeout.
 */
export type Signal = 'ok' | 'congested' | 'paced' | 'slow' | 'neutral';

/**
 * Where flow control stands after a cut: the AIMD limit, the rate if one was
 * learned (a documented rate is not), and under a documented rate the margin
 * kept for arrival jitter (widened by 429s that came although the rate was kept).
 */
export interface Cut {
  concurrency: number;
  ratePerSecond?: number;
  jitterMs?: number;
}

/** A concurrency slot given by acquire(): the call may start. */
export interface GateSlot {
  /**
   * Gives the slot back, with how the call went. Call it exactly once, in a
   * `finally` of the code that holds the slot: the count of slots out is all
   * that keeps us under the provider's limit, so a second release throws.
   */
  release(signal: Signal, latencyMs: number): void;
}

interface Waiter {
  resolve(slot: GateSlot): void;
  reject(err: unknown): void;
  done: boolean;
}

const DECREASE = 0.7;
// Additive increase is one slot per round trip up to 90% of where congestion last hit, a tenth of that beyond.
const PLATEAU = 0.9;
const SLOW_PROBE = 0.1;
const RATE_DECREASE = 0.85;
const RATE_PROBE_PER_SECOND = 1.05;

/**
 * Flow control for one provider: a fair queue in front of three gates that
 * must all be open for a call to start — no pause in force (Retry-After), a
 * free concurrency slot (AIMD limit), and room in the rate window.
 *
 * Invariant: every slot acquire() gives is released exactly once (GateSlot
 * asserts it); the slot count is the only thing keeping us under the
 * provider's limit.
 */
export class ProviderGate {
  private limit: number;
  /** The most AIMD may reach: the documented concurrency, or this instance's share of it in a cluster. */
  private ceiling: number;
  /** This instance's share of a documented rate; 0 holds every call (see setShare). */
  private rateShare: number | undefined;
  private shared = false;
  private readonly pauseListeners: ((ms: number) => void)[] = [];
  private readonly cutListeners: ((cut: Cut) => void)[] = [];
  private inflight = 0;
  private pausedUntil = 0;
  private lastCut = 0;
  /** The limit at the last congestion: below it we grow back fast, near and above it we probe slowly. */
  private lastCongestedLimit = Infinity;
  private readonly queue = new FairQueue<Waiter>();
  private readonly bySignal = new Map<AbortSignal, Set<Waiter>>();
  private rateWindow: RateWindow | undefined;
  private readonly learnedRate: boolean;
  private lastRateProbe = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  /** Requests started in the current and previous second: the rate that drew a 429. */
  private window = { start: 0, count: 0, previous: 0 };
  private ewmaLatency = 0;
  private congestedCalls = 0;

  constructor(private readonly opts: GateOptions) {
    this.ceiling = opts.concurrency ?? opts.maxConcurrency;
    this.rateShare = opts.ratePerSecond;
    this.limit = opts.concurrency ?? Math.min(opts.initialConcurrency, this.ceiling);
    this.learnedRate = opts.ratePerSecond === undefined;
    if (opts.ratePerSecond !== undefined) this.rateWindow = new RateWindow(opts.ratePerSecond);
  }

  get concurrencyLimit(): number {
    return Math.min(Math.floor(this.limit), this.ceiling);
  }

  /**
   * This instance's part of the provider's documented limits, in a cluster
   * whose members share them (api/flow/clusterFlow.ts). Documented figures
   * become the shares: AIMD moves between 1 and the concurrency share,
   * keeping where it stood relative to the old one, and the rate window
   * keeps the starts already counted. A lower share cuts no call in flight;
   * new ones wait until in flight is under it. A share of 0 (more members
   * than the documented figure) holds every call until the share grows.
   * Undocumented limits stay this instance's own, discovered by AIMD, but
   * start from their share of `members`: the first call only.
   */
  setShare(share: { concurrency?: number; ratePerSecond?: number; members: number }): void {
    const { concurrency, ratePerSecond, members } = share;
    if (this.opts.concurrency !== undefined && concurrency !== undefined) {
      const old = this.ceiling;
      this.ceiling = concurrency;
      const scaled = old > 0 ? this.limit * (concurrency / old) : concurrency;
      this.limit = concurrency === 0 ? 0 : Math.min(concurrency, Math.max(1, scaled));
      if (Number.isFinite(this.lastCongestedLimit) && old > 0) this.lastCongestedLimit *= concurrency / old;
    } else if (this.opts.concurrency === undefined && !this.shared) {
      this.limit = Math.max(1, Math.floor(this.limit / Math.max(1, members)));
    }
    if (!this.learnedRate && ratePerSecond !== undefined) {
      this.rateShare = ratePerSecond;
      if (ratePerSecond > 0) this.rateWindow?.setRate(ratePerSecond);
    }
    this.shared = true;
    this.pump();
  }

  /** Called with each pause this gate is asked for (not with those applied by hold()): for the cluster to hear of it. */
  onPause(listener: (ms: number) => void): void {
    this.pauseListeners.push(listener);
  }

  /** Called with each cut this gate makes on what it met (not with those applied by learn()): for the cluster to hear of it. */
  onCut(listener: (cut: Cut) => void): void {
    this.cutListeners.push(listener);
  }

  /**
   * A cut another member of the cluster made, as this member's part of it:
   * kept as if met here, so the lesson is not paid for again with 429s. It
   * only ever lowers (AIMD grows back from there on this member's own
   * answers) or widens the jitter margin, counts as this round trip's cut,
   * and is not announced again.
   */
  learn(cut: Cut): void {
    const now = this.opts.clock.now();
    this.lastCut = now;
    if (cut.concurrency < this.limit) {
      this.lastCongestedLimit = this.limit;
      this.limit = Math.max(1, cut.concurrency);
    }
    if (!this.learnedRate && cut.jitterMs !== undefined) this.rateWindow?.widenTo(cut.jitterMs, now);
    if (this.learnedRate && cut.ratePerSecond !== undefined) {
      const rate = Math.max(0.5, cut.ratePerSecond);
      if (!this.rateWindow) this.rateWindow = new RateWindow(rate);
      else if (rate < this.rateWindow.perSecond) this.rateWindow.setRate(rate);
      this.lastRateProbe = now;
    }
    this.pump();
  }

  /** Under a documented rate, the margin kept for arrival jitter, ms (429s widen it); undefined otherwise. */
  get rateJitterMs(): number | undefined {
    return this.learnedRate ? undefined : this.rateWindow?.jitterMs;
  }

  get rateLimit(): number | undefined {
    return this.rateWindow?.perSecond;
  }

  /** Whether a pause (Retry-After) is in force now. */
  get paused(): boolean {
    return this.opts.clock.now() < this.pausedUntil;
  }

  get waiting(): number {
    return this.queue.length;
  }

  get congestion(): number {
    return this.congestedCalls;
  }

  acquire(lane: Lane, signal?: AbortSignal, front = false): Promise<GateSlot> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const w: Waiter = { done: false, resolve, reject };
      if (signal) this.watch(signal, w);
      this.queue.push(lane, w, front);
      this.pump();
    });
  }

  /**
   * One abort listener per signal, not per waiter: thousands of bulk rows wait
   * on the engine's one shutdown signal, and adding a listener costs time in
   * proportion to the listeners already there.
   */
  private watch(signal: AbortSignal, w: Waiter): void {
    let waiters = this.bySignal.get(signal);
    if (!waiters) {
      const set = new Set<Waiter>();
      waiters = set;
      this.bySignal.set(signal, set);
      signal.addEventListener(
        'abort',
        () => {
          this.bySignal.delete(signal);
          for (const x of set) {
            if (x.done) continue;
            x.done = true;
            x.reject(signal.reason);
          }
        },
        { once: true },
      );
    }
    waiters.add(w);
    const resolve = w.resolve;
    w.resolve = (slot) => {
      waiters.delete(w);
      resolve(slot);
    };
  }

  private slot(): GateSlot {
    let released = false;
    return {
      release: (signal, latencyMs) => {
        if (released) throw new Error('ProviderGate: a slot was released twice');
        released = true;
        this.release(signal, latencyMs);
      },
    };
  }

  private release(signal: Signal, latencyMs: number): void {
    this.inflight--;
    const now = this.opts.clock.now();
    this.ewmaLatency = this.ewmaLatency === 0 ? latencyMs : this.ewmaLatency * 0.9 + latencyMs * 0.1;
    if (signal === 'ok') {
      const step = this.limit < this.lastCongestedLimit * PLATEAU ? 1 : SLOW_PROBE;
      this.limit = Math.min(this.ceiling, this.limit + step / this.limit);
      if (this.learnedRate && this.rateWindow && now - this.lastRateProbe >= 1000) this.probeRate(now);
    } else if (signal !== 'neutral') {
      this.congestedCalls++;
      this.cut(now, signal !== 'paced', signal !== 'slow');
    }
    this.pump();
  }

  /** A provider asked us to wait (Retry-After, or a used-up rate-limit window): nobody starts before then. */
  pause(ms: number): void {
    this.hold(ms);
    for (const l of this.pauseListeners) l(ms);
  }

  /** A pause another member of the cluster was asked for: kept as if asked here, and not announced again. */
  hold(ms: number): void {
    const until = this.opts.clock.now() + ms;
    if (until > this.pausedUntil) this.pausedUntil = until;
    this.pump();
  }

  private countStart(now: number): void {
    const w = this.window;
    if (now - w.start >= 1000) {
      w.previous = now - w.start >= 2000 ? 0 : w.count;
      w.start = now;
      w.count = 0;
    }
    w.count++;
  }

  /** Requests per second we have been sending lately. */
  private sentRate(now: number): number {
    const w = this.window;
    const elapsed = Math.max(now - w.start, 1);
    return w.previous ? (w.previous + w.count) / (1 + elapsed / 1000) : (w.count * 1000) / elapsed;
  }

  /**
   * Multiplicative decrease, at most once per round trip: a burst of 429s
   * from one window of requests is one congestion event, not many. Only when
   * one request at a time is still too many does the limit have to be a
   * rate, and then one is learned from what we were sending. A 429 under a
   * documented rate widens its margin for arrival jitter.
   */
  private cut(now: number, learnRate: boolean, rateLimited: boolean): void {
    if (now - this.lastCut < Math.max(50, this.ewmaLatency)) return;
    this.lastCut = now;
    if (rateLimited && !this.learnedRate) this.rateWindow?.widen(now);
    const atFloor = this.limit < 2;
    this.lastCongestedLimit = this.limit;
    this.limit = Math.max(1, this.limit * DECREASE);
    if (this.learnedRate && learnRate && atFloor) {
      const rate = Math.max(0.5, this.sentRate(now) * RATE_DECREASE);
      if (this.rateWindow) this.rateWindow.setRate(Math.min(rate, this.rateWindow.perSecond * RATE_DECREASE));
      else this.rateWindow = new RateWindow(rate);
      this.lastRateProbe = now;
    }
    const learned = this.learnedRate ? this.rateWindow?.perSecond : undefined;
    const jitterMs = this.learnedRate ? undefined : this.rateWindow?.jitterMs;
    const cut: Cut = { concurrency: this.limit, ...(learned === undefined ? {} : { ratePerSecond: learned }), ...(jitterMs === undefined ? {} : { jitterMs }) };
    for (const l of this.cutListeners) l(cut);
  }

  /** While clean, raise a learned rate; once it is well above what we send, concurrency is the real limit and the rate goes. */
  private probeRate(now: number): void {
    this.lastRateProbe = now;
    const window = this.rateWindow!;
    if (window.perSecond > 2 * this.sentRate(now) && this.limit >= 2) this.rateWindow = undefined;
    else window.setRate(window.perSecond * RATE_PROBE_PER_SECOND);
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const now = this.opts.clock.now();
      if (now < this.pausedUntil) {
        this.wake(this.pausedUntil);
        return;
      }
      if (this.inflight >= Math.min(Math.floor(this.limit), this.ceiling)) return;
      // No share of the documented rate: setShare() pumps again when it has one.
      if (this.rateShare === 0) return;
      const wait = this.rateWindow?.take(now) ?? 0;
      if (wait > 0) {
        this.wake(now + wait);
        return;
      }
      let w = this.queue.shift();
      while (w?.done) w = this.queue.shift();
      if (!w) return;
      w.done = true;
      this.inflight++;
      this.countStart(now);
      w.resolve(this.slot());
    }
  }

  private wake(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(1, at - this.opts.clock.now()),
    );
  }

  close(): void {
    clearTimeout(this.timer);
  }
}
