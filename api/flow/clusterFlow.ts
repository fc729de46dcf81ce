import type { ProviderGate } from './gate.js';

/**
 * This member's part of a documented figure shared by the live members:
 * `total` ÷ members, the remainder one each to the lowest-ranked (rank: this
 * id's place among the sorted live ids), so the parts sum to `total` exactly
 * whoever computes them. With fewer units than members, the highest-ranked get 0.
 */
export function shareOf(total: number, liveIds: readonly string[], self: string): number {
  const ids = [...new Set([...liveIds, self])].sort();
  const n = ids.length;
  const rank = ids.indexOf(self);
  return Math.floor(total / n) + (rank < total % n ? 1 : 0);
}

/** The documented limits of a provider, as configured: what the cluster as a whole may send. */
export interface Documented {
  concurrency?: number;
  ratePerSecond?: number;
}

/** Where pauses go to reach the other members (api/storage/pauses.ts). */
export interface PausesStore {
  /** Records that the provider asked for a pause of `ms` from now (the database's clock), unless a longer one stands. */
  record(providerId: string, ms: number): Promise<void>;
  /** Pauses still in force, each with the ms left of it. */
  active(): Promise<{ providerId: string; remainingMs: number }[]>;
}

export interface ClusterFlowDeps {
  gates: ReadonlyMap<string, ProviderGate>;
  documented: ReadonlyMap<string, Documented>;
  selfId: string;
  /** The cluster's dead-after time: how long a member joining waits before taking its share. */
  deadAfterMs: number;
  pauses: PausesStore;
  /** How often pauses other members recorded are read; only while there are other members. */
  pollMs: number;
  members: () => number;
  onError(err: unknown): void;
}

/**
 * Cluster-wide flow control by shares: every member keeps its own gates,
 * each open to its share of the provider's documented concurrency and rate
 * (shareOf), so the sums hold for the cluster with no round trip per call.
 * Shares are set again whenever who is alive changes.
 *
 * A member that dies frees its share at once: the survivors grow when they
 * see it gone. A member that joins must not take its share before the
 * others have shrunk to make room, and they see it at their next heartbeat
 * (a second or so) and then let the calls they have out finish. So a member
 * joining a cluster takes no share for one dead-after period: every live
 * member heartbeats within it, or it is dead. Rows it claims meanwhile wait.
 * A member alone at its first heartbeat takes the whole at once: joins
 * write to the same table, one at a time, so two members starting together
 * cannot both find themselves alone.
 *
 * Pauses a provider asks for (a 429's Retry-After, a used-up quota window)
 * are recorded in the database, and every member reads those in force every
 * `pollMs` and keeps them too.
 */
export class ClusterFlow {
  private live: readonly string[] = [];
  private joinedAt: number | undefined;
  private ready = false;
  private readyTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;

  constructor(private readonly deps: ClusterFlowDeps) {
    for (const [id, gate] of deps.gates) gate.onPause((ms) => void deps.pauses.record(id, ms).catch(deps.onError));
  }

  /** Sets every gate's share for these live members. */
  apply(liveIds: readonly string[]): void {
    this.live = liveIds;
    if (this.joinedAt === undefined) {
      this.joinedAt = performance.now();
      this.ready = liveIds.every((id) => id === this.deps.selfId);
      if (!this.ready)
        this.readyTimer = setTimeout(() => {
          this.ready = true;
          this.apply(this.live);
        }, this.deps.deadAfterMs);
    }
    const n = new Set([...liveIds, this.deps.selfId]).size;
    for (const [id, gate] of this.deps.gates) {
      const doc = this.deps.documented.get(id) ?? {};
      const part = (total: number | undefined) => (total === undefined ? undefined : this.ready ? shareOf(total, liveIds, this.deps.selfId) : 0);
      gate.setShare({ concurrency: part(doc.concurrency), ratePerSecond: part(doc.ratePerSecond), members: n });
    }
  }

  /** Starts reading the pauses others recorded. */
  start(): void {
    this.pollTimer ??= setInterval(() => {
      if (this.polling || this.deps.members() < 2) return;
      this.polling = this.poll()
        .catch(this.deps.onError)
        .finally(() => (this.polling = undefined));
    }, this.deps.pollMs);
  }

  private async poll(): Promise<void> {
    for (const { providerId, remainingMs } of await this.deps.pauses.active()) this.deps.gates.get(providerId)?.hold(remainingMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.readyTimer);
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    await this.polling;
  }
}
