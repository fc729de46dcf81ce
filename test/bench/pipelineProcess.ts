/**
 * Child-process entry for the pipeline benchmark (pipelineScenario.ts), in
 * one of two roles, as BENCH_PIPELINE says:
 *
 * - `fakes`: the lead pipeline's outside world on 127.0.0.1, the one the
 *   tests use (test/helpers/pipelineWorld.ts): a data provider, the model,
 *   HubSpot, Slack and a webhook receiver. Apart from the engine, as real
 *   services are, so their latencies are not stretched by its CPU use. It
 *   answers with what arrived where and when, to tell a step's own time from
 *   the time its request spent out.
 * - `engine`: Cascade on a given configuration (startCascade, the server's
 *   Node flags), one API key, and its event-loop delay on request. With
 *   BENCH_ENGINE_LOG set, every line it logs goes to stderr as it comes.
 */
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { parseConfig } from '../../api/config/load.js';
import { startCascade } from '../../api/server.js';
import { keysStore } from '../../api/storage/keys.js';
import { leadOfRequest, startPipelineWorld } from '../helpers/pipelineWorld.js';
import { serveParent } from './ipc.js';

/** What the `fakes` child is started with. */
export interface FakesSpec {
  llmLatencyMs: number;
}

export interface FakesReady {
  /** The configuration file's content the tests use for this world (see pipelineScenario.ts for what the bench changes). */
  config: Record<string, unknown>;
  env: Record<string, string>;
}

/** What arrived at the fakes since they started: arrival times are Date.now() here, the engine's clock being the same wall clock. */
export interface FakesLog {
  /** Paid enrichment calls at the data provider. */
  providerCalls: number;
  /** Each request to the model: the lead's email it was about, and when it arrived (its answer leaves `llmLatencyMs` later). */
  llm: { requests: { email: string; at: number }[]; statuses: Record<number, number> };
  /** Each contact of each accepted upsert: the lead's email, and when its batch arrived. */
  hubspot: { upserts: { email: string; at: number }[]; statuses: Record<number, number>; duplicates: number };
  /** Each accepted delivery: the lead id it carried, and when it arrived. */
  webhook: { deliveries: { lead: string; at: number }[]; duplicates: number };
  /** Each accepted message: when it arrived, and the leads it names (the `Buyer-<token>` of their last names). */
  slack: { messages: { at: number; tokens: string[] }[]; statuses: Record<number, number> };
}

export type FakesRequest = { type: 'log' } | { type: 'close' };
export type FakesReply = FakesLog | null;

/** What the `engine` child is started with. */
export interface EngineSpec {
  config: Record<string, unknown>;
  env: Record<string, string>;
  /** Where the database goes; the parent owns and removes it. */
  dir: string;
  workspace: string;
}

export interface EngineReady {
  url: string;
  key: string;
  /** The bearer token of its GET /metrics (rows in hand, jobs active). */
  metricsToken: string;
}

export interface EngineStats {
  /** Event-loop delay since the last reset: the runner, the outbox, SQLite's synchronous calls and the HTTP server share this loop. */
  loop: { maxMs: number; p50Ms: number; p99Ms: number };
  /** Garbage collection since the last reset (its pauses stop the loop too), and the heap's peak (the server's ceiling is 512 MB). */
  gc: { count: number; totalMs: number; maxMs: number; peakHeapUsedMB: number };
  /** Calls waiting for a slot, per provider (the model's gate included). */
  waiting: Record<string, number>;
  /** Lines the engine logged, by message: errors of the runner or the outbox show here. */
  logged: Record<string, number>;
  /** Effects not yet sent (pending or sending), per outbox target (`*\/hubspot`…), read from the engine's database. */
  outbox: Record<string, number>;
}

export type EngineRequest = { type: 'stats'; resetLoop?: boolean } | { type: 'stop' };
export type EngineReply = EngineStats | null;

const TOKEN = /Buyer-([A-Za-z0-9_-]+)/g;
const METRICS_TOKEN = 'bench-metrics-token';

async function fakes(): Promise<void> {
  const spec = JSON.parse(process.env.BENCH_PIPELINE_SPEC ?? 'null') as FakesSpec | null;
  if (!spec) throw new Error('BENCH_PIPELINE_SPEC is not set');
  const world = await startPipelineWorld({ llmLatencyMs: spec.llmLatencyMs });
  const quit = () => void world.close().finally(() => process.exit(0));
  // A parent that died without saying close must not leave this process behind.
  process.on('disconnect', quit);
  const ready: FakesReady = { config: world.config(), env: world.env };
  serveParent<FakesRequest, FakesReply>(ready, async (msg) => {
    if (msg.type === 'close') {
      setImmediate(quit);
      return null;
    }
    const llmStatuses: Record<number, number> = {};
    for (const r of world.llm.requests) if (r.status !== undefined) llmStatuses[r.status] = (llmStatuses[r.status] ?? 0) + 1;
    return {
      providerCalls: world.sim.requests.length,
      llm: {
        requests: world.llm.requests.map((r) => ({ email: (Array.isArray(r.body?.messages) && leadOfRequest(r.body.messages)) || '', at: r.at })),
        statuses: llmStatuses,
      },
      hubspot: {
        upserts: world.hubspot.upserts.map((u) => ({ email: u.email, at: u.at })),
        statuses: world.hubspot.requests['/crm/v3/objects/contacts/batch/upsert'] ?? {},
        duplicates: world.hubspot.duplicateUpserts(),
      },
      webhook: {
        deliveries: world.receiver.deliveries.map((d) => ({ lead: String((d.body as { lead?: { id?: unknown } })?.lead?.id ?? ''), at: d.at })),
        duplicates: world.receiver.duplicates(),
      },
      slack: {
        messages: world.slack.messages.map((m) => ({ at: m.at, tokens: [...(m.text ?? '').matchAll(TOKEN)].map((x) => x[1]!) })),
        statuses: world.slack.statuses,
      },
    };
  });
}

async function engine(): Promise<void> {
  const spec = JSON.parse(process.env.BENCH_PIPELINE_SPEC ?? 'null') as EngineSpec | null;
  if (!spec) throw new Error('BENCH_PIPELINE_SPEC is not set');
  const logged: Record<string, number> = {};
  const cascade = await startCascade({
    config: parseConfig(spec.config, spec.env),
    dbUrl: `file:${join(spec.dir, 'bench.db')}`,
    port: 0,
    host: '127.0.0.1',
    metricsToken: METRICS_TOKEN,
    log: (msg, extra) => {
      logged[msg] = (logged[msg] ?? 0) + 1;
      if (process.env.BENCH_ENGINE_LOG)
        process.stderr.write(
          `${Date.now()} ${msg} ${JSON.stringify(extra ?? {}, (_k, v) => (v instanceof Error ? { message: v.message, stack: v.stack, cause: String(v.cause) } : v))}\n`,
        );
    },
  });
  const key = await keysStore(cascade.database.db).create(spec.workspace, Date.now());
  let loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let gc = { count: 0, totalMs: 0, maxMs: 0, peakHeapUsedMB: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  setInterval(() => {
    gc.peakHeapUsedMB = Math.max(gc.peakHeapUsedMB, process.memoryUsage().heapUsed / 2 ** 20);
  }, 250).unref();

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await cascade.stop().catch((err: unknown) => console.error('cascade.stop failed:', err));
    process.exit(0);
  };
  process.on('disconnect', () => void stop());

  const ready: EngineReady = { url: cascade.url, key, metricsToken: METRICS_TOKEN };
  serveParent<EngineRequest, EngineReply>(ready, async (msg) => {
    if (msg.type === 'stop') {
      setImmediate(() => void stop());
      return null;
    }
    const unsent = await cascade.database.db.all<{ target: string; n: number }>(
      sql`SELECT target, count(*) AS n FROM effects WHERE status IN ('pending', 'sending') GROUP BY target`,
    );
    const stats: EngineStats = {
      loop: { maxMs: loop.max / 1e6, p50Ms: loop.percentile(50) / 1e6, p99Ms: loop.percentile(99) / 1e6 },
      gc: { ...gc },
      waiting: Object.fromEntries(cascade.engine.diagnostics.flow().map((f) => [f.provider, f.waiting])),
      logged: { ...logged },
      outbox: Object.fromEntries(unsent.map((u) => [u.target.replace(/^\*\//, ''), Number(u.n)])),
    };
    if (msg.resetLoop) {
      gc = { count: 0, totalMs: 0, maxMs: 0, peakHeapUsedMB: 0 };
      loop.disable();
      loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
    }
    return stats;
  });
}

const role = process.env.BENCH_PIPELINE;
(role === 'fakes' ? fakes() : role === 'engine' ? engine() : Promise.reject(new Error(`BENCH_PIPELINE is ${role ?? 'not set'}`))).catch((err) => {
  console.error(err);
  process.exit(1);
});
