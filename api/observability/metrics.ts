import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WriterStats } from '../sheets/writer.js';
import type { Backlog } from '../storage/backlog.js';
import type { CallOutcome, EngineMetrics, EngineView } from './port.js';

/** Provider latencies span a cached DNS answer (ms) to a slow enrichment API (tens of seconds). */
const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The sheet writer's request counters, by the label they are exported under. */
const SHEETS_REQUESTS = { read: 'reads', anchor: 'anchorRequests', write: 'writeRequests', dashboard: 'dashboardRequests', setup: 'setupRequests' } as const;

export interface Observability {
  /** This server's registry: `GET /metrics` answers its text. Never prom-client's global one, so servers in one process (the tests) stay apart. */
  registry: Registry;
  /** The port the engine reports through. */
  engine: EngineMetrics;
  /** Registers the Sheets writer's figures (read at scrape time). */
  watchSheets(stats: () => WriterStats): void;
}

export interface ObservabilityOptions {
  /** Node's process figures (memory, CPU, event loop lag, GC). Off in tests: their event-loop monitor outlives a server. */
  processMetrics?: boolean;
}

/**
 * Every figure `GET /metrics` exports, on a registry of its own. Counters on
 * hot paths are plain increments with provider/outcome labels; the rest
 * (backlog, limits, rows in hand, the sheet writer's tallies) are read from
 * the figures the engine and writer keep anyway, when a scrape asks.
 *
 * prom-client: the maintained Prometheus client for Node, with registries
 * that need not be global and collect callbacks for scrape-time gauges.
 */
export function createObservability(opts: ObservabilityOptions = {}): Observability {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'cascade_' });
  const registers = [registry];
  let view: EngineView | undefined;
  let sheets: (() => WriterStats) | undefined;

  const requests = new Counter({
    name: 'cascade_provider_requests_total',
    help: 'Requests sent to providers, by how they came back (rate_limited: 429 or the provider’s rateLimitStatus; error: no answer at all).',
    labelNames: ['provider', 'outcome'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'cascade_provider_request_duration_seconds',
    help: 'Time from sending a request to a provider to its answer.',
    labelNames: ['provider'] as const,
    buckets: LATENCY_BUCKETS_S,
    registers,
  });
  // Figures by provider alone: the only label, so a series per provider, never one per row, job or workspace.
  const byProvider = { labelNames: ['provider'] as const, registers };
  const inFlight = new Gauge({ name: 'cascade_provider_in_flight', help: 'Requests on the wire to each provider now.', ...byProvider });
  const spend = new Counter({
    name: 'cascade_provider_spend_usd_total',
    help: 'What calls were billed (costPerCall on answers, costPerMatch on matches), in USD.',
    ...byProvider,
  });
  const cacheHits = new Counter({
    name: 'cascade_provider_cache_hits_total',
    help: 'Answers taken from the cache (or another row’s purchase) instead of a call.',
    ...byProvider,
  });
  const rows = new Counter({
    name: 'cascade_rows_processed_total',
    help: 'Rows the runner was done with: finished, or released to come back after a backoff.',
    registers,
  });
  const jobs = new Counter({ name: 'cascade_jobs_finished_total', help: 'Jobs this process saw finish.', registers });

  const flowGauge = (name: string, help: string, pick: (f: ReturnType<EngineView['flow']>[number]) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['provider'] as const,
      registers,
      collect() {
        this.reset();
        for (const f of view?.flow() ?? []) {
          const v = pick(f);
          if (v !== undefined) this.set({ provider: f.provider }, v);
        }
      },
    });
  flowGauge('cascade_provider_waiting', 'Calls waiting for a slot at each provider: the backlog flow control holds back.', (f) => f.waiting);
  flowGauge('cascade_provider_concurrency_limit', 'The concurrency limit flow control allows each provider now (AIMD).', (f) => f.concurrencyLimit);
  flowGauge('cascade_provider_rate_limit_per_second', 'The rate in force per provider (documented or learned), where there is one.', (f) => f.ratePerSecond);
  flowGauge(
    'cascade_provider_rate_margin_ms',
    'Under a documented rate, the margin (ms) added to its window for arrival jitter: 429s at any member widen it, a quiet minute halves it.',
    (f) => f.rateJitterMs,
  );
  new Counter({
    name: 'cascade_provider_congestion_total',
    help: 'Calls that came back congested (429, timeout) and cut the concurrency limit.',
    labelNames: ['provider'] as const,
    registers,
    collect() {
      this.reset();
      for (const f of view?.flow() ?? []) this.inc({ provider: f.provider }, f.congestion);
    },
  });
  new Gauge({
    name: 'cascade_rows_in_hand',
    help: 'Rows claimed by this process and not yet finished or released.',
    registers,
    collect() {
      this.set(view?.rowsInHand() ?? 0);
    },
  });
  new Gauge({
    name: 'cascade_cluster_members',
    help: 'Live instances on this database (one cluster), this one included, as of its last heartbeat.',
    registers,
    collect() {
      this.set(view?.liveMembers() ?? 0);
    },
  });
  new Gauge({
    name: 'cascade_jobs_active',
    help: 'Running jobs, as of the runner’s last pass.',
    registers,
    collect() {
      this.set(view?.activeJobs() ?? 0);
    },
  });

  // The cluster's backlog, read from the database once per scrape (both gauges share the read): every instance reports the same figures, so an
  // autoscaler may scrape any one (or take the max). Work that waits on providers shows here long before in CPU.
  let backlogRead: Promise<Backlog | undefined> | undefined;
  const readBacklog = () =>
    (backlogRead ??= (view?.backlog() ?? Promise.resolve(undefined)).catch(() => undefined).finally(() => setImmediate(() => (backlogRead = undefined))));
  new Gauge({
    name: 'cascade_backlog_rows',
    help: 'Rows of running jobs no instance holds, cluster-wide: due now, or waiting to be tried again later.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const b = await readBacklog();
      this.set({ state: 'due' }, b?.rowsDue ?? 0);
      this.set({ state: 'later' }, b?.rowsLater ?? 0);
    },
  });
  new Gauge({
    name: 'cascade_backlog_effects',
    help: 'Pipeline effects (CRM writes, notifications) not yet settled, cluster-wide, by target kind.',
    labelNames: ['target'] as const,
    registers,
    async collect() {
      this.reset();
      for (const [target, n] of Object.entries((await readBacklog())?.effects ?? {})) this.set({ target }, n);
    },
  });

  // The sheet writer keeps running totals; these counters show them as they stand at the scrape.
  const sheetsCounter = (name: string, help: string, read: (s: WriterStats) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(sheets ? read(sheets()) : 0);
      },
    });
  new Counter({
    name: 'cascade_sheets_requests_total',
    help: 'Requests sent to the Google Sheets API, by purpose.',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      this.reset();
      const s = sheets?.();
      for (const [kind, field] of Object.entries(SHEETS_REQUESTS)) this.inc({ kind }, s ? s[field] : 0);
    },
  });
  sheetsCounter('cascade_sheets_retries_total', 'Google Sheets requests retried after a 429 or 5xx.', (s) => s.retries);
  sheetsCounter('cascade_sheets_quota_wait_seconds_total', 'Time requests waited for a slot of Google’s per-minute quotas.', (s) => s.quotaWaitMs / 1000);
  sheetsCounter('cascade_sheets_rows_written_total', 'Rows whose results Google accepted.', (s) => s.rowsWritten);
  sheetsCounter(
    'cascade_sheets_rows_found_written_total',
    'Rows in doubt at a writer takeover that Google already held: read back, not written again.',
    (s) => s.rowsFoundWritten,
  );

  const engine: EngineMetrics = {
    callStarted(provider) {
      inFlight.inc({ provider });
      return (outcome: CallOutcome, latencyMs: number) => {
        inFlight.dec({ provider });
        requests.inc({ provider, outcome });
        latency.observe({ provider }, latencyMs / 1000);
      };
    },
    spent: (provider, usd) => spend.inc({ provider }, usd),
    cacheHits: (provider, n) => cacheHits.inc({ provider }, n),
    rowProcessed: () => rows.inc(),
    jobFinished: () => jobs.inc(),
    watch: (v) => void (view = v),
  };
  return { registry, engine, watchSheets: (s) => void (sheets = s) };
}
