import type { ProviderGate } from '../flow/gate.js';
import type { Member } from '../storage/members.js';

/** A member of the cluster (an instance on the same database), as its last heartbeat had it. */
export type ClusterMember = Member;

/** One provider's flow control as it stands: what the limits have learned, and how many calls wait. */
export interface ProviderFlow {
  provider: string;
  /** The AIMD concurrency limit now (the documented concurrency at most). */
  concurrencyLimit: number;
  /** The rate in force (documented, or learned from 429s), requests per second; undefined without one. */
  ratePerSecond: number | undefined;
  /** Under a documented rate, the margin its window is kept under for arrival jitter, ms: 429s here or at another member widen it. */
  rateJitterMs: number | undefined;
  /** Calls waiting for a slot. */
  waiting: number;
  /** Calls that came back congested (429, timeout) since start. */
  congestion: number;
}

/** The journal as it stands: whether the database is refusing its commits (then no paid call starts). */
export interface StorageHealth {
  commitsRefused: boolean;
}

/**
 * The engine's figures for whoever watches it (the benchmark's report, an
 * operator, a fault test): read-only, and the only view into the engine's internals.
 */
export interface EngineDiagnostics {
  flow(): ProviderFlow[];
  storage(): StorageHealth;
  /**
   * The cluster's live members (instances heartbeating on this database
   * within the death time), this one included, oldest first, as of this
   * instance's last heartbeat (about a second old at most). For sharing
   * cluster-wide limits among them.
   */
  liveMembers(): readonly ClusterMember[];
}

export const flowDiagnostics =
  (gates: ReadonlyMap<string, ProviderGate>): EngineDiagnostics['flow'] =>
  () =>
    [...gates].map(([provider, g]) => ({
      provider,
      concurrencyLimit: g.concurrencyLimit,
      ratePerSecond: g.rateLimit,
      rateJitterMs: g.rateJitterMs,
      waiting: g.waiting,
      congestion: g.congestion,
    }));
