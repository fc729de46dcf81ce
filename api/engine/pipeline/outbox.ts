import { sleep, type Clock } from '../../clock.js';
import type { EffectOutcome, EffectSender } from '../../effects/types.js';
import { jittered } from '../../flow/backoff.js';
import { RateWindow } from '../../flow/rateWindow.js';
import type { ClaimedEffect, EffectSettlement, EffectsStore, NewEffect, SettledEffect } from '../../storage/effects.js';

export interface OutboxDeps {
  store: EffectsStore;
  senders: readonly EffectSender[];
  clock: Clock;
  workerId: string;
  /** Delays before sending again after a failure; one more failure after the last fails the effect for good. */
  retryDelaysMs: readonly number[];
  /** How often due effects and effects finished by other instances are looked for, besides wake-ups. */
  pollMs: number;
  random: () => number;
  /** Jobs cancelled here: runs waiting on their effects are handed back, and the effects wait unsent for a resume. */
  isCancelled(jobId: string): boolean;
  onError(err: unknown): void;
}

/** A lease outlives any one send: the sender's own time limit, and this much for the answer's commit. */
const LEASE_MARGIN_MS = 5000;

/**
 * Sends the pipeline's effects: per target one loop that claims due effects
 * (a batch up to the target's size), paces requests to the target's limit,
 * sends, and settles each effect done, due again later, or failed. Effects
 * left in doubt by a crash are claimed first, once their lease runs out,
 * and settled the target's way. Runs wait for their effects here (`deliver`);
 * an effect settled by another instance is found by polling.
 */
export class Outbox {
  private readonly waiters = new Map<string, ((settled: SettledEffect | undefined) => void)[]>();
  /** The job of each effect waited on, for cancels. */
  private readonly jobOf = new Map<string, string>();
  private readonly loops: TargetLoop[];
  private poller: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(private readonly deps: OutboxDeps) {
    this.loops = deps.senders.map((s) => new TargetLoop(s, deps, (settled) => this.resolve(settled)));
  }

  start(): void {
    this.stopped = false;
    for (const l of this.loops) l.start();
    this.poller = setInterval(() => void this.pollFinished(), this.deps.pollMs * 4);
  }

  /** Stops sending once each target's request out is answered; runs waiting for an effect are told (undefined) and hand their rows back. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poller);
    for (const list of this.waiters.values()) for (const r of list) r(undefined);
    this.waiters.clear();
    this.jobOf.clear();
    await Promise.all(this.loops.map((l) => l.stop()));
  }

  /** Whether this instance can send to the target: a workspace's pipeline names only targets it configured. */
  has(target: string): boolean {
    return this.loops.some((l) => l.target === target);
  }

  /**
   * Enqueues the effect (once: its id is the lead, step and target) and
   * resolves when it is done or has failed for good, whoever sent it; with
   * undefined if the outbox stops or the job is cancelled first.
   */
  async deliver(effect: NewEffect): Promise<SettledEffect | undefined> {
    if (this.stopped) return undefined;
    const settled = new Promise<SettledEffect | undefined>((resolve) => {
      const list = this.waiters.get(effect.id) ?? [];
      list.push(resolve);
      this.waiters.set(effect.id, list);
      this.jobOf.set(effect.id, effect.jobId);
    });
    await this.deps.store.enqueue(effect, this.deps.clock.now());
    // Sent before, in an earlier life of the run: answered now, not after a poll.
    const [already] = await this.deps.store.finished([effect.id]);
    if (already) this.resolve(already);
    else this.loops.find((l) => l.target === effect.target)?.wake();
    return settled;
  }

  private resolve(settled: SettledEffect | { id: string; cancelled: true }): void {
    const list = this.waiters.get(settled.id);
    if (!list) return;
    this.waiters.delete(settled.id);
    this.jobOf.delete(settled.id);
    for (const r of list) r('cancelled' in settled ? undefined : settled);
  }

  private async pollFinished(): Promise<void> {
    if (this.stopped || this.waiters.size === 0) return;
    for (const [id, jobId] of this.jobOf) if (this.deps.isCancelled(jobId)) this.resolve({ id, cancelled: true });
    try {
      for (const s of await this.deps.store.finished([...this.waiters.keys()])) this.resolve(s);
    } catch (err) {
      this.deps.onError(err);
    }
  }
}

/** One target's loop. Invariant: at most one request to the target is out from this loop at a time, and every claimed effect is settled. */
class TargetLoop {
  /** The target's rate in two lanes: bulk effects start in `bulk` only, urgent ones in either. Together they keep to the rate. */
  private readonly lanes: { bulk: RateWindow; urgent?: RateWindow } | undefined;
  private pausedUntil = 0;
  private wakeUp: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly sender: EffectSender,
    private readonly deps: OutboxDeps,
    private readonly settled: (s: SettledEffect) => void,
  ) {
    const rate = sender.ratePerSecond;
    const share = sender.urgentShare ?? 0;
    this.lanes = rate ? { bulk: new RateWindow(rate * (1 - share)), ...(share > 0 ? { urgent: new RateWindow(rate * share) } : {}) } : undefined;
  }

  get target(): string {
    return this.sender.target;
  }

  start(): void {
    this.stopped = false;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
  }

  wake(): void {
    this.wakeUp?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async loop(): Promise<void> {
    const { clock } = this.deps;
    while (!this.stopped) {
      try {
        const now = clock.now();
        if (now < this.pausedUntil) {
          await this.sleep(this.pausedUntil - now);
          continue;
        }
        if (!(await this.pass())) await this.sleep(this.deps.pollMs);
      } catch (err) {
        this.deps.onError(err);
        await this.sleep(this.deps.pollMs * 4);
      }
    }
  }

  /**
   * Claims and sends one batch: in-doubt effects first. Returns whether there
   * was one, or a wait for the rate to allow it (woken early by an urgent
   * effect's arrival). Paced before the claim, not after: an effect is
   * `sending` only while its request is really about to leave or out, so a
   * crash leaves as few in doubt as can be (for Slack, those are never sent
   * again).
   */
  private async pass(): Promise<boolean> {
    const { store, clock, workerId } = this.deps;
    const { sender } = this;
    const top = await store.topPriority(sender.target, clock.now());
    if (top === undefined) return false;
    const urgent = top > 0;
    const wait = this.take(urgent);
    if (wait > 0) {
      await this.sleep(wait);
      return true;
    }
    const now = clock.now();
    const lease = now + sender.timeoutMs * 2 + LEASE_MARGIN_MS;
    let claimed = await store.claimInDoubt(sender.target, sender.batchSize, workerId, lease, now);
    const inDoubt = claimed.length > 0;
    if (!inDoubt) claimed = await store.claimDue(sender.target, sender.batchSize, workerId, lease, now);
    if (claimed.length === 0) return false;
    const outgoing = claimed.map((e) => ({ id: e.id, payload: e.payload }));
    const pace = () => this.paced(urgent);
    const outcomes = await (inDoubt ? sender.inDoubt(outgoing, pace) : sender.send(outgoing, pace));
    const settlements = claimed.map((e, i) => this.settlement(e, outcomes[i]!));
    await store.settle(workerId, settlements, clock.now());
    for (const s of settlements) {
      if (s.status !== 'pending') this.settled({ id: s.id, status: s.status, result: s.result ?? null, error: s.error ?? null });
    }
    return true;
  }

  /** Counts a request and returns 0 if the target's limit allows one now (in the urgent lane first, for urgent work), else how many ms until it may. */
  private take(urgent: boolean): number {
    if (!this.lanes) return 0;
    const now = this.deps.clock.now();
    const first = urgent && this.lanes.urgent ? this.lanes.urgent.take(now) : Infinity;
    return first === 0 ? 0 : Math.min(first, this.lanes.bulk.take(now));
  }

  /** Resolves once the target's limit allows another request, and counts it. */
  private async paced(urgent: boolean): Promise<void> {
    for (let wait = this.take(urgent); wait > 0; wait = this.take(urgent)) await sleep(wait);
  }

  private settlement(e: ClaimedEffect, out: EffectOutcome): EffectSettlement {
    const now = this.deps.clock.now();
    if (out.kind === 'done') return { id: e.id, status: 'done', result: out.result ?? {} };
    if (out.kind === 'failed') return { id: e.id, status: 'failed', error: out.error };
    if (out.rateLimited) {
      // The target asked for quiet: the whole loop waits, and the wait is not a failed attempt.
      this.pausedUntil = Math.max(this.pausedUntil, now + (out.afterMs ?? 1000));
      return { id: e.id, status: 'pending', nextAt: this.pausedUntil, uncountAttempt: true, error: out.error };
    }
    const delays = this.deps.retryDelaysMs;
    if (e.attempts > delays.length) return { id: e.id, status: 'failed', error: out.error };
    return { id: e.id, status: 'pending', nextAt: now + jittered(delays[e.attempts - 1]!, this.deps.random), error: out.error };
  }
}
