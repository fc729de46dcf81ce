import type { Cut, ProviderGate } from './gate.js';

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

/** What a provider told one member, on its way to the others (api/storage/flowSignals.ts). */
export interface FlowSignalsStore {
  /** Records that the provider asked for a pause of `ms` from now (the database's clock), unless a longer one stands. */
  recordPause(providerId: string, ms: number): Promise<void>;
  /** Records the member's latest cut at the provider, as totals for the cluster. */
  recordCut(providerId: string, cut: Cut, memberId: string): Promise<void>;
  /**
   * In one round trip: the pauses still in force, each with the ms left of
   * it, and the cuts other members recorded after `since` (the database's
   * clock; none older than a minute), with the time of this read on the
   * database's clock: the next read's `since`.
   */
  read(memberId: string, since: number): Promise<{ pauses: { providerId: string; remainingMs: number }[]; cuts: (Cut & { providerId: string })[]; at: number }>;
}

export interface ClusterFlowDeps {
  gates: ReadonlyMap<string, ProviderGate>;
  documented: ReadonlyMap<string, Documented>;
  selfId: string;
  /** The cluster's dead-after time: how long a member joining waits before taking its share. */
  deadAfterMs: number;
  signals: FlowSignalsStore;
  /** How often what other members recorded is read; only while there are other members. */
  pollMs: number;
  members: () => number;
  /** The member has its share after waiting out a join: it may take rows now, rather than at its next poll. */
  onSharing?(): void;
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
 * member heartbeats within it, or it is dead. It claims no rows meanwhile
 * (`sharing`), so the others run them.
 * A member heard again after a silence past the dead-after time joins again
 * the same way: the others may have counted it dead and grown into its share.
 * A member alone at its first heartbeat takes the whole at once: joins
 * write to the same table, one at a time, so two members starting together
 * cannot both find themselves alone.
 *
 * What a provider tells one member reaches the others: pauses it asks for
 * (a 429's Retry-After, a used-up quota window), and the cuts AIMD makes on
 * congestion (a 429, a timeout), with the rate learned where the provider
 * documents none, or where it documents one, the margin for arrival jitter
 * its 429s widened. Both are recorded in the database, cuts as totals
 * for the cluster (this member's figure × members), and every member reads
 * them every `pollMs`, keeping the pauses in force and cutting to its part of
 * each cut. Cuts only lower: each member grows back on its own answers.
 */
export class ClusterFlow {
  private live: readonly string[] = [];
  private joinedAt: number | undefined;
  private ready = false;
  private readyTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  /** The database's time of the last read: cuts recorded after it are news. */
  private since = 0;

  constructor(private readonly deps: ClusterFlowDeps) {
    for (const [id, gate] of deps.gates) {
      gate.onPause((ms) => void deps.signals.recordPause(id, ms).catch(deps.onError));
      gate.onCut((cut) => {
        // Alone, no one needs it: a lone instance under a 429 storm writes nothing more.
        const n = deps.members();
        if (n < 2) return;
        // The jitter margin is the provider's view of everyone's starts, not a part: it goes as it is.
        const total = { ...cut, concurrency: cut.concurrency * n, ...(cut.ratePerSecond === undefined ? {} : { ratePerSecond: cut.ratePerSecond * n }) };
        void deps.signals.recordCut(id, total, deps.selfId).catch(deps.onError);
      });
    }
  }

  /**
   * Whether this member has its share of the providers: from its first
   * heartbeat if it was alone then, one dead-after period later if it joined
   * others; not before its first heartbeat, when it does not know who else
   * is calling. Until then it takes no rows (Runner's mayClaim): they would
   * wait in its hands while the others could run them.
   */
  get sharing(): boolean {
    return this.joinedAt !== undefined && this.ready;
  }

  /**
   * Sets every gate's share for these live members. `rejoined`: this member
   * was silent past the dead-after time, so the others may have declared it
   * dead and grown into its share; it joins again, as a member joining does.
   */
  apply(liveIds: readonly string[], rejoined = false): void {
    this.live = liveIds;
    if (rejoined) {
      clearTimeout(this.readyTimer);
      this.joinedAt = undefined;
    }
    if (this.joinedAt === undefined) {
      this.joinedAt = performance.now();
      this.ready = liveIds.every((id) => id === this.deps.selfId);
      if (!this.ready)
        this.readyTimer = setTimeout(() => {
          this.ready = true;
          this.apply(this.live);
          this.deps.onSharing?.();
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
    const { pauses, cuts, at } = await this.deps.signals.read(this.deps.selfId, this.since);
    this.since = at;
    for (const { providerId, remainingMs } of pauses) this.deps.gates.get(providerId)?.hold(remainingMs);
    const n = this.deps.members();
    for (const { providerId, concurrency, ratePerSecond, ...rest } of cuts)
      this.deps.gates
        .get(providerId)
        ?.learn({ ...rest, concurrency: concurrency / n, ...(ratePerSecond === undefined ? {} : { ratePerSecond: ratePerSecond / n }) });
  }

  async stop(): Promise<void> {
    clearTimeout(this.readyTimer);
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    await this.polling;
  }
}
