import type { ProviderFlow } from '../engine/diagnostics.js';
import type { Backlog } from '../storage/backlog.js';

/** How a request to a provider came back; `error`: it threw (a reset, a refused connection) before an answer. */
export type CallOutcome = 'match' | 'no_match' | 'pending' | 'rate_limited' | 'transient' | 'permanent' | 'error';

/** Figures the engine holds anyway, read when metrics are scraped rather than pushed as they change. */
export interface EngineView {
  flow(): ProviderFlow[];
  /** Rows the runner has claimed and not yet finished or released. */
  rowsInHand(): number;
  /** Running jobs the runner saw on its last pass. */
  activeJobs(): number;
  /** Live members of the cluster (instances on this database), this one included, as of its last heartbeat. */
  liveMembers(): number;
  /** The cluster's work waiting for an instance, read from the database at the scrape. */
  backlog(): Promise<Backlog>;
}

/**
 * What the engine tells whoever measures it. The engine depends on this port,
 * never on prom-client: the default does nothing, and tests and tools that
 * build an engine without a registry pay nothing for it. Labels are bounded:
 * a provider id and an outcome, never a row, job or workspace id.
 */
export interface EngineMetrics {
  /** A request to a provider is going on the wire; the returned function is called once when it comes back. */
  callStarted(provider: string): (outcome: CallOutcome, latencyMs: number) => void;
  /** What a call was billed, as booked on its job. */
  spent(provider: string, usd: number): void;
  /** Answers given from the cache (or another row's purchase) instead of a call. */
  cacheHits(provider: string, n: number): void;
  /** The runner is done with a row for now: finished, or released to come back later. */
  rowProcessed(): void;
  jobFinished(): void;
  /** Registers the engine's own figures for scrape time. */
  watch(view: EngineView): void;
}

const ended = () => {};

export const noEngineMetrics: EngineMetrics = {
  callStarted: () => ended,
  spent: () => {},
  cacheHits: () => {},
  rowProcessed: () => {},
  jobFinished: () => {},
  watch: () => {},
};
