/**
 * Issue 19: the cached path. Every answer of a few thousand inputs is put in
 * Cascade's cache, then `POST /v1/enrich` for those inputs is driven by one
 * client (64 concurrent loops over undici, 127.0.0.1 only) against Cascade
 * and against a floor: a raw node:http server (floorProcess.ts) answering the
 * same JSON, which Cascade gave for each input, from a Map. Each runs in its
 * own child process. Within a run the two are driven in turns of half a
 * second (floor, Cascade, Cascade, floor, ...), ten turns each: the ratio of
 * the two rates is the figure, since the machine's other load moves both,
 * and in short turns both see the same load (measured one after the other
 * in 5-second blocks, the ratio of one build swung from 0.26 to 0.83 on a
 * shared machine). Figures only: nothing here fails on a missed target.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { FIELDS, simProviders, type BenchProvider } from './benchConfig.js';
import { startCascadeProcess } from './cascadeClient.js';
import { forkTs } from './ipc.js';
import { figure, heading, num, out } from './report.js';
import { startRemoteSim } from './sim.js';

export const CACHED_TARGET = 0.8;
const INPUTS = 2_000;
const LOOPS = 64;
const WARMUP_MS = 1_000;
const MEASURE_MS = 5_000;
/** The measurement of each, per run, in this many turns, taken in turn with the other's. */
const TURNS = 10;
/** A bound on requests per measurement too, so a much faster server cannot make one run long. */
const MAX_REQUESTS = 200_000;

const PROVIDERS: BenchProvider[] = [
  // Two providers, the first leading (cheaper) and matching most inputs: a miss there makes the lookup read both.
  {
    id: 'firmo-a',
    behaviour: { matchRate: { '*': 0.7 }, latency: { medianMs: 5, sigma: 0.2 }, concurrency: 64, ratePerSecond: 5000 },
    costPerCall: 0.001,
    costPerMatch: 0,
  },
  {
    id: 'firmo-b',
    behaviour: { matchRate: { '*': 0.8 }, latency: { medianMs: 5, sigma: 0.2 }, concurrency: 64, ratePerSecond: 5000 },
    costPerCall: 0.002,
    costPerMatch: 0,
  },
];

export interface Load {
  requests: number;
  /** Answers other than 200: none are expected. */
  errors: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The server process's CPU time (user + system) per request, in µs: what the answer cost it, whatever else ran. */
  cpuUsPerRequest: number | undefined;
}

export interface CachedRun {
  floor: Load;
  cascade: Load;
  ratio: number;
}

const domains = Array.from({ length: INPUTS }, (_, i) => `lead-${i}.example${i % 7 === 0 ? '.io' : '.com'}`);
const bodyFor = (domain: string) => JSON.stringify({ input: { domain }, fields: FIELDS, deadlineMs: 10_000 });
const bodies = domains.map(bodyFor);

/** CPU seconds (user + system) the process has used, from /proc: undefined where there is none. */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** One server as the client drives it: its connections (kept across turns) and what its turns added up to. */
interface Target {
  pid: number | undefined;
  pool: Pool;
  /** The next input to ask for: turns go on through the inputs rather than start over. */
  next: number;
  sent: number;
  errors: number;
  seconds: number;
  /** The server's CPU seconds over its turns; undefined where /proc is not there. */
  cpu: number | undefined;
  latencies: Float64Array;
}

const target = (url: string, pid: number | undefined): Target => ({
  pid,
  pool: new Pool(url, { connections: LOOPS, pipelining: 1, keepAliveTimeout: 30_000 }),
  next: 0,
  sent: 0,
  errors: 0,
  seconds: 0,
  cpu: 0,
  latencies: new Float64Array(MAX_REQUESTS),
});

/** `LOOPS` concurrent request loops for `ms` (or until `max` requests in all its turns); counted unless a warm-up. */
async function turn(t: Target, key: string, ms: number, counted: boolean): Promise<void> {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const cpuBefore = cpuSeconds(t.pid);
  const first = t.next;
  let sent = 0;
  const started = performance.now();
  const until = started + ms;
  const loop = async (offset: number) => {
    for (let i = first + offset; performance.now() < until && (!counted || t.sent < MAX_REQUESTS); i += LOOPS) {
      const n = counted ? t.sent++ : 0;
      sent++;
      const t0 = performance.now();
      const res = await t.pool.request({ path: '/v1/enrich', method: 'POST', headers, body: bodies[i % bodies.length] });
      await res.body.text();
      if (!counted) continue;
      t.latencies[n] = performance.now() - t0;
      if (res.statusCode !== 200) t.errors++;
    }
  };
  await Promise.all(Array.from({ length: LOOPS }, (_, i) => loop(i)));
  t.next += sent;
  if (!counted) return;
  t.seconds += (performance.now() - started) / 1000;
  const cpuAfter = cpuSeconds(t.pid);
  t.cpu = t.cpu === undefined || cpuBefore === undefined || cpuAfter === undefined ? undefined : t.cpu + cpuAfter - cpuBefore;
}

function load(t: Target): Load {
  const sorted = t.latencies.subarray(0, t.sent).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return {
    requests: t.sent,
    errors: t.errors,
    perSecond: t.sent / t.seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    cpuUsPerRequest: t.cpu === undefined ? undefined : (t.cpu * 1e6) / t.sent,
  };
}

async function post(url: string, key: string, body: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${url}/v1/enrich`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
  return { status: res.status, json: await res.json() };
}

const loadLine = (l: Load) =>
  `${num(l.perSecond)} req/s, p50 ${l.p50Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms, ${l.cpuUsPerRequest === undefined ? '?' : num(l.cpuUsPerRequest)} µs CPU/request (${num(l.requests)} requests${l.errors ? `, ${num(l.errors)} not 200` : ''})`;

export async function runCachedScenario(runs = 3): Promise<CachedRun[]> {
  heading(`Cached lookups: POST /v1/enrich, every answer cached, ${LOOPS} loops, against a raw node:http floor`);
  const dir = mkdtempSync(join(tmpdir(), 'cascade-bench-cached-'));
  const sim = await startRemoteSim(simProviders(PROVIDERS));
  const cascade = await startCascadeProcess(PROVIDERS, sim.url, dir);
  let floor: Awaited<ReturnType<typeof forkTs<{ url: string }, { type: 'close' }, null>>> | undefined;
  try {
    // Fill the cache: every input once through the waterfall (32 at a time), then once more to take the cached answers.
    const answers: [string, unknown][] = [];
    for (const pass of ['fill', 'read'] as const) {
      for (let i = 0; i < domains.length; i += 32) {
        const batch = await Promise.all(domains.slice(i, i + 32).map(async (d) => [d, await post(cascade.url, cascade.key, bodyFor(d))] as const));
        for (const [d, r] of batch) {
          if (r.status !== 200) throw new Error(`${pass}: ${d} answered ${r.status}: ${JSON.stringify(r.json)}`);
          const a = r.json as { costUsd: number; error?: unknown };
          if (a.error) throw new Error(`${pass}: ${d} answered with an error: ${JSON.stringify(a)}`);
          if (pass === 'read') {
            if (a.costUsd !== 0) throw new Error(`${d} was bought again on the second pass: not cached`);
            answers.push([d, a]);
          }
        }
      }
    }
    out(
      `  ${num(INPUTS)} inputs, every answer cached (${PROVIDERS.length} providers); each measured ${MEASURE_MS / 1000} s per run, in ${TURNS} turns taken in turn with the other's, after ${WARMUP_MS / 1000} s of warm-up; ` +
        (process.env.BENCH_LOGGER === '1'
          ? "Cascade logs each request with npm start's logger (lines discarded)"
          : 'neither logs (BENCH_LOGGER=1: Cascade with its logger)'),
    );
    const floorSpec = join(dir, 'floor.json');
    writeFileSync(floorSpec, JSON.stringify({ key: cascade.key, answers }));
    floor = await forkTs<{ url: string }, { type: 'close' }, null>(new URL('./floorProcess.ts', import.meta.url), { BENCH_FLOOR: floorSpec }, 20_000);
    const floorUrl = floor.ready.url;

    const results: CachedRun[] = [];
    for (let r = 0; r < runs; r++) {
      const floorT = target(floorUrl, floor.child.pid);
      const cascadeT = target(cascade.url, cascade.pid);
      try {
        for (const t of [floorT, cascadeT]) await turn(t, cascade.key, WARMUP_MS, false);
        // In turns, each pair in the other order from the last (ABBA), the first pair alternating between runs.
        for (let i = 0; i < TURNS; i++) {
          const pair = (i + r) % 2 === 0 ? [floorT, cascadeT] : [cascadeT, floorT];
          for (const t of pair) await turn(t, cascade.key, MEASURE_MS / TURNS, true);
        }
      } finally {
        await Promise.all([floorT.pool.close(), cascadeT.pool.close()]);
      }
      const got = { floor: load(floorT), cascade: load(cascadeT) };
      const run = { ...got, ratio: got.cascade.perSecond / got.floor.perSecond };
      out(`  run ${r + 1} of ${runs}`);
      figure('    floor (node:http + Map)', loadLine(run.floor));
      figure('    Cascade', loadLine(run.cascade));
      figure('    Cascade ÷ floor', run.ratio.toFixed(3), `>= ${CACHED_TARGET}`);
      results.push(run);
    }
    return results;
  } finally {
    await floor?.child.close({ type: 'close' }, 10_000);
    await cascade.stop();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
