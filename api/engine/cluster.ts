import type { Member, MembersStore } from '../storage/members.js';

export interface ClusterTimings {
  /** How often a member heartbeats and reads who else is alive. */
  heartbeatMs: number;
  /** A member not heard from for this long is dead: what it held is taken back. Several heartbeats, so one slow round trip is not a death. */
  deadAfterMs: number;
}

export const DEFAULT_CLUSTER_TIMINGS: ClusterTimings = { heartbeatMs: 1000, deadAfterMs: 4000 };

export interface ClusterDeps {
  store: MembersStore;
  /** This instance: its id is the engine's worker id. */
  self: Pick<Member, 'id' | 'host' | 'pid'>;
  timings: ClusterTimings;
  /**
   * Takes back what members declared dead hold (rows, effects), resolving
   * once it is done; their rows in `members` are removed after, so a death
   * is handled once. Throwing leaves them to the next heartbeat.
   */
  takeOver(dead: readonly string[]): Promise<void>;
  onError(err: unknown): void;
  log(msg: string, extra?: Record<string, unknown>): void;
}

/**
 * This instance's membership of the cluster: the instances sharing its
 * database. It registers on join(), heartbeats every `heartbeatMs`, and with
 * each heartbeat reads who is alive; a member not heard from for
 * `deadAfterMs` is declared dead by whichever live member notices first (or
 * by several: taking over is idempotent), which takes back what it held.
 *
 * An instance stalled past `deadAfterMs` (a lost database, a frozen machine)
 * is declared dead while still running: its rows are then run by others, and
 * its own writes to them, checked against `locked_by`, change nothing. When
 * it is heard again it is a member again. Only a member heard steadily for
 * `deadAfterMs` declares another dead (MembersStore.beat): when the database
 * itself stops answering for longer, every member goes unheard at once, and
 * were each to judge by that silence as it came back, all would take back
 * each other's rows and grow into each other's shares (every provider at a
 * multiple of its documented limits), then wait out a rejoin.
 */
export class Cluster {
  private live: readonly Member[] = [];
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private lastHeard = -Infinity;
  private url: string | null = null;
  private readonly listeners: ((live: readonly Member[], rejoined: boolean) => void)[] = [];

  constructor(private readonly deps: ClusterDeps) {}

  get id(): string {
    return this.deps.self.id;
  }

  /** Registers this instance and reads the membership once; the engine's first claims are sized by it. */
  async join(): Promise<void> {
    await this.beat();
  }

  /** Where the others wake this instance (PeerWakes), once it listens; heartbeats from the next one on carry it. */
  advertise(url: string): void {
    this.url = url;
  }

  /** Starts heartbeating. */
  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.deps.timings.heartbeatMs);
  }

  /** Stops heartbeating and leaves: a clean stop has handed its rows back, so there is nothing to take over. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    try {
      await this.deps.store.leave(this.deps.self.id);
    } catch (err) {
      // It will be declared dead instead.
      this.deps.onError(err);
    }
  }

  /** The live members as of the last heartbeat, this one included, oldest first. */
  liveMembers(): readonly Member[] {
    return this.live;
  }

  /** How many share the work: at least this one, whatever the last heartbeat saw. */
  size(): number {
    return Math.max(1, this.live.length);
  }

  /**
   * Called with the live members whenever who is alive changes (a join, a
   * death, a clean stop), and when this instance is heard again after a
   * silence past the dead-after time (`rejoined`): the others may have
   * declared it dead, and taken back what it held, meanwhile.
   */
  onChange(listener: (live: readonly Member[], rejoined: boolean) => void): void {
    this.listeners.push(listener);
  }

  private async tick(): Promise<void> {
    if (this.beating) return;
    this.beating = this.beat()
      .catch((err) => this.deps.onError(err))
      .finally(() => (this.beating = undefined));
  }

  private async beat(): Promise<void> {
    const { store, self, timings } = this.deps;
    const startedAt = performance.now();
    const previousBeatAt = this.live.find((m) => m.id === self.id)?.heartbeatAt;
    const { live, dead, registered, missedBy } = await store.beat({ ...self, url: this.url }, timings.deadAfterMs, previousBeatAt);
    // Only if another member could have counted it dead: a database that stopped answering everyone for a while
    // silences all members alike, and none of them, heard again, waits out a rejoin for it.
    const rejoined = this.lastHeard !== -Infinity && (registered || missedBy.length > 0);
    if (rejoined)
      this.deps.log('this instance was not heard from for longer than the cluster waits: others may have taken back its rows', {
        silentMs: Math.round(startedAt - this.lastHeard),
        ...(registered ? { forgotten: true } : { missedBy }),
      });
    this.lastHeard = startedAt;
    const before = this.live.map((m) => m.id).join();
    this.live = live;
    if (rejoined || live.map((m) => m.id).join() !== before) for (const l of this.listeners) l(live, rejoined);
    if (dead.length === 0) return;
    await this.deps.takeOver(dead);
    await store.forget(dead, timings.deadAfterMs);
  }
}
