import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import type { LoadedConfig } from './config/load.js';
import { systemClock, type Clock } from './clock.js';
import { createEngine, type Engine, type EngineDeps } from './engine/engine.js';
import { apiListener } from './http/listener.js';
import { createHttpClient } from './net/httpClient.js';
import { createWriteBack } from './sheets/createWriteBack.js';
import { DEFAULT_SHEETS_OPTIONS, type SheetsOptions } from './sheets/options.js';
import type { Log, Logger } from './log.js';
import { createObservability } from './observability/metrics.js';
import { buildProviders } from './providers/registry.js';
import { openDatabase, type Database } from './storage/db.js';
import { repairUnreadableText } from './storage/repairText.js';
import { keysStore } from './storage/keys.js';

export interface CascadeOptions {
  config: LoadedConfig;
  dbUrl: string;
  dbAuthToken?: string;
  port: number;
  host: string;
  bootstrapKey?: string;
  log: Log;
  clock?: Clock;
  workerId?: string;
  /** Google Sheets write-back settings; Google's defaults where unset (api/main.ts fills them from the environment). */
  sheets?: Partial<SheetsOptions>;
  /** The bearer token GET /metrics asks for (CASCADE_METRICS_TOKEN); without one, /metrics is a 404. */
  metricsToken?: string;
  /** Node's process figures (memory, CPU, event loop) on /metrics too; `npm start` turns them on. */
  processMetrics?: boolean;
  /** The alert webhook and check interval (api/main.ts fills them from the environment). */
  alerts?: EngineDeps['alerts'];
  /**
   * How members of a cluster wake each other: `key`, the cluster's shared
   * CASCADE_TOKEN_KEY, lets this instance send and take wakes; `url`
   * (CASCADE_CLUSTER_URL; `auto`: this server's own) is where the others
   * send theirs. Without either, work created elsewhere is found at the next poll.
   */
  cluster?: { key?: Buffer; url?: string };
}

export interface Cascade {
  url: string;
  engine: Engine;
  database: Database;
  writeBack: ReturnType<typeof createWriteBack>;
  stop(): Promise<void>;
}

/** Starts everything: database, providers, engine, HTTP server. Used by `npm start`, the demo, the tests and the benchmark alike. */
export async function startCascade(opts: CascadeOptions): Promise<Cascade> {
  const clock = opts.clock ?? systemClock;
  // One registry per server: tests run several in one process, and none shares prom-client's global registry.
  const observability = createObservability({ processMetrics: opts.processMetrics });
  const loaded = opts.config;
  const database = await openDatabase(opts.dbUrl, { authToken: opts.dbAuthToken });
  const repaired = await repairUnreadableText(database.client);
  if (repaired > 0)
    opts.log(`repaired ${repaired} stored values holding text that could not be read back (written by an earlier version); see api/storage/repairText.ts`);
  const dispatcher = new Agent({ connections: 512, keepAliveTimeout: 30_000, pipelining: 1 });
  const http = createHttpClient(dispatcher);
  const providers = buildProviders(loaded.config, { http, now: () => clock.now(), log: opts.log });
  const writeBack = createWriteBack({
    database,
    clock,
    log: opts.log,
    options: { ...DEFAULT_SHEETS_OPTIONS, ...opts.sheets },
    // The dashboard shows GET /v1/metrics' figures; the engine exists by the time the writer asks.
    metrics: (workspace, window, jobId) => engine.service.metrics({ workspace, window, jobId }),
    alerts: (workspace) => engine.service.alerts({ workspace }),
  });
  const engine = await createEngine({
    metrics: observability.engine,
    database,
    config: loaded.config,
    providers,
    clock,
    log: opts.log,
    workerId: opts.workerId,
    writeBack,
    alerts: opts.alerts,
    http,
    wakeKey: opts.cluster?.key,
  });
  observability.watchSheets(writeBack.stats);
  const keys = keysStore(database.db);
  if (opts.bootstrapKey) await keys.create('default', clock.now(), opts.bootstrapKey);
  const listener = apiListener({
    // A Logger (api/main.ts) scopes lines to their request; a plain Log function (the tests) has no scope.
    logScope: (opts.log as Partial<Logger>).scope,
    prometheus: { registry: observability.registry, token: opts.metricsToken },
    service: engine.service,
    findWorkspace: keys.workspaceOf,
    log: opts.log,
    acceptWake: engine.acceptWake,
  });
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(opts.port, opts.host, resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  if (opts.cluster?.url) engine.advertise(opts.cluster.url === 'auto' ? url : opts.cluster.url);
  engine.start();
  // Sheet writers share jobs by leases and Google's quotas by shares, as members of the engine's cluster.
  writeBack.start({ memberId: engine.workerId, liveMembers: () => engine.diagnostics.liveMembers().map((m) => m.id) });
  return {
    url,
    engine,
    database,
    writeBack,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await writeBack.stop();
      await engine.stop();
      await database.close();
      await dispatcher.close();
    },
  };
}
