import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { Wake } from '../../shared/index.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { causeChain } from '../errors.js';
import { ClusterFlow } from '../flow/clusterFlow.js';
import { Reachability } from '../flow/reachability.js';
import { ProviderGate } from '../flow/gate.js';
import type { Provider } from '../providers/types.js';
import type { WriteBack } from '../sheets/port.js';
import { cacheStore, storedAnswers } from '../storage/cache.js';
import { AlertMonitor } from '../notify/monitor.js';
import type { WebhookTarget } from '../notify/webhook.js';
import { alertsStore } from '../storage/alerts.js';
import { backlogStore } from '../storage/backlog.js';
import { callsStore, recordedCalls, type CallRecord } from '../storage/calls.js';
import type { Database } from '../storage/db.js';
import { jobsStore, type JobRecord } from '../storage/jobs.js';
import { Journal } from '../storage/journal.js';
import { rowsStore } from '../storage/rows.js';
import { leadsStore } from '../storage/leads.js';
import { effectsStore } from '../storage/effects.js';
import { funnelStore } from '../storage/funnel.js';
import { membersStore } from '../storage/members.js';
import { holdsStore } from '../storage/holds.js';
import { flowSignalsStore } from '../storage/flowSignals.js';
import type { HttpClient } from '../providers/types.js';
import { buildPipelines } from './pipeline/build.js';
import { isRealtimeJob } from './pipeline/pipelines.js';
import { Outbox } from './pipeline/outbox.js';
import { leadRunner } from './pipeline/runLead.js';
import { isTransientFailure } from '../storage/transientFailure.js';
import { Budgets } from './budget.js';
import { CacheLoader } from './cacheLoader.js';
import { Cluster, DEFAULT_CLUSTER_TIMINGS, type ClusterTimings } from './cluster.js';
import { REMOTE_COMMIT_GAP_MS, remoteCommitGapMs } from './commitGap.js';
import { Caller } from './caller.js';
import { noEngineMetrics, type EngineMetrics } from '../observability/port.js';
import { flowDiagnostics, type EngineDiagnostics } from './diagnostics.js';
import { HedgeBudget } from './hedgeBudget.js';
import { HitCounter } from './hitCounter.js';
import { Ranking } from './order.js';
import { rowProcessor } from './processRow.js';
import { PeerWakes, type WakeVerdict } from './peerWakes.js';
import { Runner } from './runner.js';
import { createService, type CascadeService } from './service.js';
import { Stats } from './stats.js';
import { WakeSeal } from './wakeSeal.js';
import type { WaterfallDeps } from './waterfall.js';

export interface EngineDeps {
  database: Database;
  config: Config;
  providers: Provider[];
  clock: Clock;
  log: (msg: string, extra?: Record<string, unknown>) => void;
  random?: () => number;
  workerId?: string;
  /** Writes results into Google Sheets for jobs that carry a sheet target. */
  writeBack?: WriteBack;
  /** Where the engine's figures go (GET /metrics); nowhere by default. */
  metrics?: EngineMetrics;
  /** The alert webhook (from the environment only), and how often alerts are checked (default 5 minutes). */
  alerts?: { webhook?: WebhookTarget; checkEveryMs?: number };
  /** How the lead pipeline reaches its model, CRM and webhooks (hosts fixed by the configuration). */
  http: HttpClient;
  /** Heartbeat and death timings of the cluster membership (DEFAULT_CLUSTER_TIMINGS where unset). */
  cluster?: Partial<ClusterTimings>;
  /**
   * The cluster's token key (CASCADE_TOKEN_KEY): with it, members wake each
   * other when jobs change (PeerWakes), each at the address it advertises.
   */
  wakeKey?: Buffer;
}

/** The engine as the server holds it: the service the HTTP API calls, its diagnostics, and its lifecycle. */
export interface Engine {
  /** This instance's id: its member id in the cluster, and the `locked_by` of what it leases. */
  workerId: string;
  service: CascadeService;
  diagnostics: EngineDiagnostics;
  /** Checks every active workspace's alerts and tells the webhook of starts and clears; also run on a timer. */
  checkAlerts(): Promise<void>;
  /** Takes a wake from another member (POST /internal/wake); undefined without a wake key: then nobody is woken here. */
  acceptWake: ((wake: Wake) => WakeVerdict) | undefined;
  /** Where the other members wake this one: from the next heartbeat on, they send wakes there. */
  advertise(url: string): void;
  /** Starts heartbeating in the cluster and the runner: claims due rows and keeps their leases. */
  start(): void;
  /** Stops claiming; resolves once every row in hand is finished or released and the journal is drained. */
  stop(): Promise<void>;
}

const DAY = 86_400_000;
const STORAGE_TROUBLE_LOG_MS = 5000;
/**
 * How often a member reads the pauses others were asked for: a Retry-After is
 * often a second, and the cluster's one-second heartbeat would let the others
 * send through most of it.
 */
const PAUSE_POLL_MS = 250;

/**
 * The composition root: builds the engine's parts from their dependencies
 * and wires them (journal, stats, flow control, caller, waterfall, runner,
 * service). Nothing else constructs them, and none of them reaches for
 * another except through what is passed in here.
 */
export async function createEngine(deps: EngineDeps): Promise<Engine> {
  const { database, config, providers, clock } = deps;
  const metrics = deps.metrics ?? noEngineMetrics;
  const db = database.db;
  const storage = {
    jobs: jobsStore(db),
    cache: cacheStore(db),
    calls: callsStore(db),
    rows: rowsStore(db),
    alertStates: alertsStore(db),
    leads: leadsStore(db),
    effects: effectsStore(db),
    funnel: funnelStore(db),
    members: membersStore(db),
    signals: flowSignalsStore(db),
    backlog: backlogStore(db),
    holds: holdsStore(db),
  };
  const engineCfg = config.engine;
  const workerId = deps.workerId ?? `w_${randomBytes(6).toString('hex')}`;
  const journal = new Journal(
    database.commit,
    database.remote ? { minGapMs: () => remoteCommitGapMs(cluster.size(), runner.inflight), soonGapMs: REMOTE_COMMIT_GAP_MS } : {},
  );
  const stats = new Stats(await storage.calls.tallies(clock.now() - 90 * DAY));
  const budgets = new Budgets();
  const cancelled = new Set<string>();
  /**
   * Jobs cancelled through another instance: a job this runner holds rows of
   * that is no longer running (rows in hand keep a job from being done, so it
   * was cancelled). Seen at the runner's next poll; cleared once it runs again.
   */
  let cancelledElsewhere = new Set<string>();
  const isCancelled = (jobId: string) => cancelled.has(jobId) || cancelledElsewhere.has(jobId);
  const stopping = new AbortController();
  // Every row waiting for a provider slot listens on this one signal.
  setMaxListeners(0, stopping.signal);
  const pipelines = buildPipelines(config, providers, { http: deps.http, now: () => clock.now() });
  const gates = new Map(
    [...providers, ...pipelines.qualifiers].map((p) => [
      p.id,
      new ProviderGate({
        concurrency: p.concurrency,
        ratePerSecond: p.ratePerSecond,
        initialConcurrency: engineCfg.initialConcurrency,
        maxConcurrency: engineCfg.maxConcurrency,
        clock,
      }),
    ]),
  );
  const freshnessMs = config.cache.freshnessDays * DAY;
  const cacheLoader = new CacheLoader(
    storage.cache.read,
    () => clock.now() - freshnessMs,
    () => clock.now(),
  );

  const hits = new HitCounter(journal, clock, deps.log, metrics.cacheHits);
  hits.start();

  // The id is made here, once: the journal may send the entry more than once, and the id makes that harmless.
  // Unique to this engine's run, then counted up, so each call's index entry goes next to the last one; random
  // ids scattered them over the whole index, and every commit rewrote a few of its pages into the WAL.
  const callIdPrefix = randomBytes(6).toString('base64url');
  let callCount = 0;
  const recordCall = (call: CallRecord, soon?: boolean) =>
    journal.write(recordedCalls, { ...call, id: `${callIdPrefix}${(callCount++).toString(36).padStart(8, '0')}` }, soon);
  // While the database is locked or out of reach, every poll and heartbeat fails the same way: a line every
  // few seconds says so, not a stack trace each time.
  let storageTroubleAt = -Infinity;
  const storageTrouble = (err: unknown, what: string) => {
    if (clock.now() - storageTroubleAt < STORAGE_TROUBLE_LOG_MS) return;
    storageTroubleAt = clock.now();
    // The innermost cause says what happened (a lock, a refused connection); drizzle's wrapper only repeats the query.
    const cause = [...causeChain(err)].at(-1);
    deps.log('database busy or out of reach; the runner keeps trying', { in: what, err: cause instanceof Error ? cause.message : String(cause) });
  };
  /** An error of a background part (`what`): a passing storage fault as above, anything else logged with its stack. */
  const reportError = (what: string) => (err: unknown) =>
    isTransientFailure(err) ? storageTrouble(err, what) : deps.log(`${what} error`, { err: err instanceof Error ? err.stack : String(err) });

  // Whether this member gets answers at all: one cut off (its own way out) leaves the rows to members that do.
  const reachability = new Reachability({
    now: () => clock.now(),
    onCutOff: (backOffMs) =>
      deps.log('no provider answered the last calls from this instance (its own way out may be down); in a cluster it takes no rows for a while', {
        backOffMs,
      }),
  });
  const caller = new Caller({
    gates,
    metrics,
    reachability,
    cache: cacheLoader,
    storeAnswer(call, soon) {
      const { inputKey, values, ...record } = call;
      // Written in the same turn, so the answer and its journal entry commit together.
      const answer = { outcome: call.outcome as 'match' | 'no_match', values, fetchedAt: call.at };
      void journal.write(storedAnswers, { workspaceId: call.workspaceId, providerId: call.providerId, inputKey, ...answer });
      // Into the hot cache once committed, replacing what it held for the key: lookups then find this answer in memory.
      return recordCall(record, soon).then(() => cacheLoader.remember(call.workspaceId, { providerId: call.providerId, inputKey }, answer));
    },
    recordCall,
    storageFailing: () => journal.failing,
    countCacheHit: (ws, provider, jobId) => hits.count(ws, provider, jobId),
    freshSince: () => clock.now() - freshnessMs,
    stats,
    budgets,
    isCancelled: (jobId) => jobId !== null && isCancelled(jobId),
    engine: engineCfg,
    clock,
    holds: {
      shared: () => cluster.liveMembers().length > 1,
      async hold(key, ttlMs) {
        const state = await storage.holds.hold(key, workerId, ttlMs, clock.now() - freshnessMs);
        // An answer another instance stored goes into the hot cache, as a read's would.
        if (state.kind === 'stored') cacheLoader.remember(key.workspaceId, key, state.answer);
        return state;
      },
      release: (key) => storage.holds.release(key, workerId),
      onError: reportError('purchase hold'),
    },
  });

  const waterfall: WaterfallDeps = {
    providers,
    caller,
    stats,
    ranking: new Ranking(providers, stats, config.order),
    clock,
    retryDelaysMs: engineCfg.retryDelaysMs,
    random: deps.random ?? Math.random,
  };
  const hedge = new HedgeBudget(engineCfg.hedgeRatio);

  const random = deps.random ?? Math.random;
  const outbox = new Outbox({
    store: storage.effects,
    senders: pipelines.senders,
    clock,
    workerId,
    retryDelaysMs: engineCfg.retryDelaysMs,
    pollMs: engineCfg.pollMs,
    random,
    isCancelled,
    onError: reportError('outbox'),
  });
  const runLead = leadRunner({ caller, leads: storage.leads, outbox, journal, clock, workerId, retryDelaysMs: engineCfg.retryDelaysMs, random });
  const processRow = rowProcessor({
    providers,
    waterfall,
    journal,
    clock,
    workerId,
    stopping: stopping.signal,
    pipelines: pipelines.pipelineOf,
    runLead,
  });
  let activeJobs = 0;
  const urgent = (job: JobRecord) => isRealtimeJob(pipelines.pipelineOf, job);
  const runner = new Runner({
    store: {
      activeJobs: storage.jobs.active,
      claim: storage.rows.claim,
      reclaimExpired: storage.rows.reclaimExpired,
      heartbeat: storage.rows.heartbeat,
      finishJobIfDone: async (jobId, now) => {
        // The job's rows were all finished before this: their completions are written, and committed by written().
        await journal.written();
        return storage.jobs.finishIfDone(jobId, now);
      },
    },
    processRow: (job, row) => processRow(job, row).finally(metrics.rowProcessed),
    urgent,
    onJobsLoaded: (jobs, heldWhenRead) => {
      activeJobs = jobs.length;
      const running = new Set(jobs.map((j) => j.id));
      cancelledElsewhere = new Set(heldWhenRead.filter((id) => !running.has(id)));
      for (const j of jobs) budgets.track(j.id, j.maxCostUsd, j.costUsd);
    },
    onJobDone: (job) => {
      budgets.forget(job.id);
      metrics.jobFinished();
      deps.log('job done', { job: job.id });
    },
    onError: reportError('runner'),
    members: () => cluster.size(),
    // Alone, a member cut off still claims: no one else could run the rows, and they fail (flagged) as before.
    mayClaim: () => clusterFlow.sharing && !(cluster.size() > 1 && reachability.cutOff),
    engine: engineCfg,
    clock,
    workerId,
  });
  // The instances on this database are one cluster: each heartbeats, and what a member declared dead held (rows,
  // the pipeline's effects in flight) is taken back then, not when its leases would run out.
  const clusterTimings = { ...DEFAULT_CLUSTER_TIMINGS, ...deps.cluster };
  const cluster = new Cluster({
    store: storage.members,
    self: { id: workerId, host: hostname(), pid: process.pid },
    timings: clusterTimings,
    async takeOver(dead) {
      const rows = await runner.takeOver(dead);
      const effects = await storage.effects.endLeasesOf(dead, clock.now());
      deps.log('cluster members declared dead; took back what they held', { members: dead, rows, effects });
    },
    onError: reportError('cluster'),
    log: deps.log,
  });
  // Documented provider limits hold for the cluster: each member's gates keep its share, set again as members come and go.
  const clusterFlow = new ClusterFlow({
    gates,
    documented: new Map([...providers, ...pipelines.qualifiers].map((p) => [p.id, { concurrency: p.concurrency, ratePerSecond: p.ratePerSecond }])),
    selfId: workerId,
    deadAfterMs: clusterTimings.deadAfterMs,
    signals: storage.signals,
    pollMs: PAUSE_POLL_MS,
    members: () => cluster.size(),
    onSharing: () => runner.wake(),
    onError: reportError('cluster flow'),
  });
  cluster.onChange((live, rejoined) =>
    clusterFlow.apply(
      live.map((m) => m.id),
      rejoined,
    ),
  );
  const peerWakes =
    deps.wakeKey &&
    new PeerWakes({
      seal: new WakeSeal(deps.wakeKey),
      selfId: workerId,
      peers: () => cluster.liveMembers(),
      http: deps.http,
      now: () => Date.now(),
      onWake: () => runner.wake(),
      log: deps.log,
    });

  await cluster.join();
  // Read at scrape time from figures the gates and runner keep anyway: nothing on the hot path.
  metrics.watch({
    flow: flowDiagnostics(gates),
    rowsInHand: () => runner.inflight,
    activeJobs: () => activeJobs,
    liveMembers: () => cluster.liveMembers().length,
    backlog: () => storage.backlog.backlog(clock.now()),
  });

  const service = createService({
    ...storage,
    providers,
    clock,
    freshnessMs,
    journal,
    caller,
    waterfall,
    hedge,
    budgets,
    hits,
    cached: cacheLoader,
    cancelled,
    wake: (job) => {
      // The runner may claim the job's rows before a pass has read it: its cost cap must be known first.
      if (job) budgets.track(job.id, job.maxCostUsd, job.costUsd);
      runner.wake(job);
      // A lead someone waits on is claimed here at once; the others would only look and find it taken.
      if (!job || !urgent(job)) peerWakes?.wake();
    },
    writeBack: deps.writeBack,
    pipelineOf: pipelines.pipelineOf,
    qualifiers: pipelines.qualifiers,
  });
  const alertMonitor = new AlertMonitor({
    activeWorkspaces: () => storage.calls.activeWorkspaces(clock.now() - 14 * DAY),
    check: (workspace) => service.alerts({ workspace }),
    states: storage.alertStates,
    webhook: deps.alerts?.webhook,
    clock,
    everyMs: deps.alerts?.checkEveryMs ?? 5 * 60_000,
    log: deps.log,
  });
  return {
    workerId,
    service,
    diagnostics: {
      flow: flowDiagnostics(gates),
      storage: () => ({ commitsRefused: journal.failing }),
      liveMembers: () => cluster.liveMembers(),
    },
    checkAlerts: () => alertMonitor.check(),
    acceptWake: peerWakes ? (wake) => peerWakes.accept(wake) : undefined,
    advertise: (url) => cluster.advertise(url),
    start: () => {
      cluster.start();
      clusterFlow.start();
      outbox.start();
      runner.start();
      alertMonitor.start();
    },
    async stop(): Promise<void> {
      stopping.abort(new Error('shutting down'));
      await alertMonitor.stop();
      // First the outbox: rows waiting on their effects are handed back, so the runner's stop does not wait on a CRM.
      await outbox.stop();
      await runner.stop();
      await hits.stop();
      await journal.drain();
      // Last: until now it held rows, and had it stopped heartbeating first, another member could have declared it dead.
      await cluster.stop();
      await clusterFlow.stop();
      for (const g of gates.values()) g.close();
    },
  };
}
