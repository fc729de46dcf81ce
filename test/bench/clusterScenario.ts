/**
 * `npm run bench -- cluster`: a bulk job through 1 and through 3 API
 * instances on one libSQL server (sqld), at simulated providers that enforce
 * their documented concurrency and rate with 429s. The cluster shares the
 * documented limits (api/flow/clusterFlow.ts), so 3 instances cannot go
 * faster than the providers allow; the figure is that they are not slower
 * than one. test/cluster/flow.test.ts runs the same job for its assertions
 * (peak in flight ≤ documented, no 429).
 *
 * Then what going through sqld costs: the same job with the instances
 * reaching sqld through a counting proxy (each HTTP request one round trip:
 * libSQL's client sends a statement or a batch per request), less what the
 * cluster sends idle (heartbeats, polls) over as long; and cached `POST
 * /v1/enrich` lookups of the job's inputs spread over 1 and over 2 instances.
 */
import { createClient } from '@libsql/client';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { startSimServer } from '../../api/demo/simServer.js';
import { startSqld } from '../cluster/sqld.js';
import { startForwardingProxy } from '../helpers/forwardingProxy.js';
import { domainRows, domains, rawConfig, simProviders, type TestProvider } from '../helpers/harness.js';
import { kill9, spawnServer, type Spawned } from '../helpers/spawnServer.js';
import { figure, heading, num, out } from './report.js';
import { until as waitUntil } from '../helpers/until.js';

const KEY = 'csk_cluster_flow_key_0123456789abcdef';

/** How long a request to an instance may take before the run fails: a job's POST takes well under a second. */
const CALL_TIMEOUT_MS = 30_000;

/** Two providers a row needs both of: one bound by its concurrency, one by its rate. */
export const CLUSTER_PROVIDERS: TestProvider[] = [
  { id: 'conc', fields: ['company.name'], behaviour: { concurrency: 6, latency: { medianMs: 25, sigma: 0.2 } } },
  { id: 'rate', fields: ['company.employees'], behaviour: { concurrency: 12, ratePerSecond: 150, latency: { medianMs: 20, sigma: 0.2 } } },
];

/** Rows/s the providers allow at most: each row needs one call of each. */
export function providerBound(list: TestProvider[]): number {
  return Math.min(
    ...list.map((p) => {
      const b = p.behaviour!;
      const byConcurrency = b.concurrency === undefined ? Infinity : (b.concurrency * 1000) / b.latency!.medianMs;
      return Math.min(byConcurrency, b.ratePerSecond ?? Infinity);
    }),
  );
}

export interface ClusterRun {
  instances: number;
  rows: number;
  status: string;
  matched: number;
  /** From the job's POST to its end, as recorded in the job. */
  rowsPerSecond: number;
  bound: number;
  /**
   * The pace in the middle of the job: the bottleneck provider's requests
   * from its 10th to its 90th percentile, per second (a row needs one of
   * each), which leaves out the start (the first claims) and the drain.
   */
  steadyRowsPerSecond: number;
  /** From the job's POST to the first request at any provider. */
  firstCallMs: number;
  /** Most requests in flight at once at each provider, summed over instances (the sim counts them). */
  peakInflight: Record<string, number>;
  documented: Record<string, { concurrency?: number; ratePerSecond?: number }>;
  /** Most requests that arrived at each provider in any one second (sliding). */
  peakPerSecond: Record<string, number>;
  tooMany: number;
  killedOne: boolean;
  /** Rows of the job the instances ran first (`warmRows`), 0 if none. */
  warmedBy: number;
  /** With `countRoundTrips`: requests to sqld during the job, and at idle per second (measured over the settle). */
  roundTrips?: { job: number; idlePerSecond: number; seconds: number };
  /** With `cachedLookups`: the job's inputs looked up again, spread over the instances. */
  cached?: { perSecond: number; requests: number; errors: number };
}

/** Cached lookups: `loops` concurrent loops over the instances in turn, for `ms` after a warm-up of `warmMs`. */
export interface CachedLookups {
  loops: number;
  warmMs: number;
  ms: number;
}

/**
 * Starts sqld, the sims and `instances` API processes on it; waits until
 * each sees them all (and, if `settleMs`, that long more: a member joining
 * waits out the dead-after time before it takes its share), creates a job of
 * `rows` rows on the first and waits for it. `killAt` (a fraction) kill -9s
 * the last instance then, so the survivors' shares grow. `warmRows`: a job of
 * other inputs runs first, and the figures are the second job's: processes
 * whose code has run, as in a cluster that has been up a while, rather than
 * three fresh ones compiling the same paths on two cores at once.
 */
export async function runClusterJob(opts: {
  instances: number;
  rows: number;
  providers?: TestProvider[];
  killAt?: number;
  settleMs?: number;
  warmRows?: number;
  timeoutMs?: number;
  countRoundTrips?: boolean;
  cachedLookups?: CachedLookups;
}): Promise<ClusterRun> {
  const providers = opts.providers ?? CLUSTER_PROVIDERS;
  const dir = mkdtempSync(join(tmpdir(), 'cascade-cluster-flow-'));
  const sqld = await startSqld();
  const sim = await startSimServer(simProviders(providers));
  const spawned: Spawned[] = [];
  const db = createClient({ url: sqld.url });
  let roundTrips = 0;
  const proxy = opts.countRoundTrips ? await startForwardingProxy(sqld.url, { beforeForward: () => void roundTrips++ }) : undefined;
  try {
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(rawConfig(sim.url, providers, { engine: { pollMs: 100, retryDelaysMs: [20, 40, 80], maxRetryAfterMs: 2000 } })));
    // Members wake each other when a job is created, as `npm run cluster` has them; BENCH_CLUSTER_WAKES=0 leaves them to their polls.
    const wakes: Record<string, string> =
      process.env.BENCH_CLUSTER_WAKES === '0' ? {} : { CASCADE_TOKEN_KEY: randomBytes(32).toString('base64'), CASCADE_CLUSTER_URL: 'auto' };
    const env = { CASCADE_CONFIG: configPath, CASCADE_DB: proxy?.url ?? sqld.url, CASCADE_BOOTSTRAP_KEY: KEY, ...wakes };
    spawned.push(...(await Promise.all(Array.from({ length: opts.instances }, () => spawnServer(env)))));
    const until = (what: string, cond: () => Promise<boolean>) => waitUntil(what, cond, opts.timeoutMs ?? 120_000, 50);
    const call = async (s: Spawned, path: string, body?: unknown) => {
      // Bounded: a request that hangs fails the run saying which, with the instances' logs (below), not the test's own timeout.
      const res = await fetch(`${s.url}${path}`, {
        method: body ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      }).catch((err: Error) => {
        throw new Error(`${path} on ${s.url}: ${err.message}`);
      });
      if (res.status >= 300) throw new Error(`${path} on ${s.url}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<any>;
    };
    await until(`${opts.instances} members`, async () => Number((await db.execute('SELECT count(*) AS n FROM members')).rows[0]!.n) === opts.instances);
    // Every member's last heartbeat came after the last one joined: each has seen them all.
    await until('every member to see the others', async () => {
      const rs = await db.execute('SELECT min(heartbeat_at) - max(started_at) AS d FROM members');
      return Number(rs.rows[0]!.d) > 0;
    });
    const idleFrom = { at: performance.now(), trips: roundTrips };
    if (opts.settleMs) await new Promise((r) => setTimeout(r, opts.settleMs));
    const idlePerSecond = (roundTrips - idleFrom.trips) / ((performance.now() - idleFrom.at) / 1000);

    const first = spawned[0]!;
    if (opts.warmRows) {
      const warm = { fields: ['company.name', 'company.employees'], rows: domainRows(domains(opts.warmRows, 'com', 'warm')) };
      const { id } = await call(first, '/v1/jobs', warm);
      await until('the warm-up job to finish', async () => (await call(first, `/v1/jobs/${id}`)).status !== 'running');
      // Past the sims' one-second windows and the members' rate windows: the job starts on a quiet second.
      await new Promise((r) => setTimeout(r, 1200));
    }
    const warmedRequests = sim.requests.length;
    const tripsBefore = roundTrips;
    const postedAt = Date.now();
    const { id: jobId } = await call(first, '/v1/jobs', { fields: ['company.name', 'company.employees'], rows: domainRows(domains(opts.rows)) });
    let killedOne = false;
    let job: any;
    await until('the job to finish', async () => {
      job = await call(first, `/v1/jobs/${jobId}`);
      const finished = job.counts.total - job.counts.pending - job.counts.running;
      if (opts.killAt !== undefined && !killedOne && finished >= opts.killAt * opts.rows && spawned.length > 1) {
        killedOne = true;
        await kill9(spawned.at(-1)!);
      }
      return job.status !== 'running';
    });
    // To the job's end as the instance that saw it recorded it (on this machine's clock, as `postedAt`), not to the poll
    // that read it: polls are 50 ms apart and each counts the job's rows. Traced, the poll saw the end 30-65 ms after it
    // was recorded, noise the size of the gap measured between one instance and three.
    const seconds = ((job.finishedAt ? Date.parse(job.finishedAt) : Date.now()) - postedAt) / 1000;
    // The job's own requests: not the warm-up's.
    const requests = sim.requests.slice(warmedRequests);
    const jobTrips = roundTrips - tripsBefore;
    const cached = opts.cachedLookups ? await lookUpAgain(spawned, opts.rows, opts.cachedLookups) : undefined;

    const peakPerSecond: Record<string, number> = {};
    for (const p of providers) {
      const at = requests
        .filter((r) => r.provider === p.id && r.status !== 429)
        .map((r) => r.at)
        .sort((a, b) => a - b);
      let most = 0;
      for (let i = 0, j = 0; i < at.length; i++) {
        while (at[i]! - at[j]! >= 1000) j++;
        most = Math.max(most, i - j + 1);
      }
      peakPerSecond[p.id] = most;
    }
    const bottleneck = providers.reduce((a, b) => (providerBound([b]) < providerBound([a]) ? b : a));
    const paced = requests
      .filter((r) => r.provider === bottleneck.id && r.status !== 429)
      .map((r) => r.at)
      .sort((a, b) => a - b);
    const [p10, p90] = [Math.floor(paced.length * 0.1), Math.floor(paced.length * 0.9)];
    return {
      instances: opts.instances,
      rows: opts.rows,
      status: job.status,
      matched: job.counts.matched,
      rowsPerSecond: opts.rows / seconds,
      steadyRowsPerSecond: (p90 - p10) / ((paced[p90]! - paced[p10]!) / 1000),
      firstCallMs: Math.min(...requests.map((r) => r.at)) - postedAt,
      bound: providerBound(providers),
      peakInflight: Object.fromEntries(providers.map((p) => [p.id, sim.peakInflight.get(p.id) ?? 0])),
      documented: Object.fromEntries(providers.map((p) => [p.id, { concurrency: p.behaviour?.concurrency, ratePerSecond: p.behaviour?.ratePerSecond }])),
      peakPerSecond,
      tooMany: requests.filter((r) => r.status === 429).length,
      warmedBy: opts.warmRows ?? 0,
      killedOne,
      ...(proxy ? { roundTrips: { job: jobTrips, idlePerSecond, seconds } } : {}),
      ...(cached ? { cached } : {}),
    };
  } catch (err) {
    const logs = spawned.map((s, i) => `instance ${i + 1} (${s.url}), last lines:\n${s.output().split('\n').slice(-30).join('\n')}`);
    throw new Error(`${(err as Error).message}\n${logs.join('\n')}`, { cause: err });
  } finally {
    for (const s of spawned) s.child.kill('SIGKILL');
    await proxy?.close();
    db.close();
    await sim.close();
    sqld.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The job's inputs looked up again through POST /v1/enrich (all cached), `loops` at a time, the loops spread over the instances. */
async function lookUpAgain(spawned: Spawned[], rows: number, o: CachedLookups): Promise<NonNullable<ClusterRun['cached']>> {
  const bodies = domains(rows).map((d) => JSON.stringify({ input: { domain: d }, fields: ['company.name', 'company.employees'] }));
  const pools = spawned.map((s) => new Pool(s.url, { connections: Math.ceil(o.loops / spawned.length), pipelining: 1 }));
  const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
  let requests = 0;
  let errors = 0;
  const drive = async (ms: number, counted: boolean) => {
    const until = performance.now() + ms;
    await Promise.all(
      Array.from({ length: o.loops }, async (_, loop) => {
        const pool = pools[loop % pools.length]!;
        for (let i = loop; performance.now() < until; i += o.loops) {
          const res = await pool.request({ path: '/v1/enrich', method: 'POST', headers, body: bodies[i % bodies.length] });
          await res.body.dump();
          if (!counted) continue;
          requests++;
          if (res.statusCode !== 200) errors++;
        }
      }),
    );
  };
  try {
    // The warm-up also brings each instance's hot cache up from the database.
    await drive(o.warmMs, false);
    const started = performance.now();
    await drive(o.ms, true);
    return { perSecond: requests / ((performance.now() - started) / 1000), requests, errors };
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
}

export function describeRun(r: ClusterRun): string {
  const peaks = Object.entries(r.peakInflight)
    .map(
      ([id, n]) => `${id} ${n}/${r.documented[id]?.concurrency ?? '-'} in flight, ${r.peakPerSecond[id]}/${r.documented[id]?.ratePerSecond ?? '-'} per second`,
    )
    .join('; ');
  const trips = r.roundTrips
    ? `; sqld round trips: ${num(r.roundTrips.job)} during the job (${(r.roundTrips.job / r.rows).toFixed(2)} a row), idle ${num(r.roundTrips.idlePerSecond, 1)}/s (${((r.roundTrips.idlePerSecond * r.roundTrips.seconds) / r.rows).toFixed(2)} a row of it)`
    : '';
  const cached = r.cached
    ? `; cached lookups ${num(r.cached.perSecond)} req/s (${num(r.cached.requests)}${r.cached.errors ? `, ${r.cached.errors} not 200` : ''})`
    : '';
  return `${r.instances} instance(s)${r.killedOne ? ' (one killed)' : ''}${r.warmedBy ? ', warmed' : ''}: ${r.status}, ${num(r.rowsPerSecond, 1)} rows/s (steady ${num(r.steadyRowsPerSecond, 1)}, bound ${num(r.bound, 0)}; first call ${num(r.firstCallMs)} ms after the POST), peak ${peaks}, 429s ${r.tooMany}${trips}${cached}`;
}

/** The warm-up job's size, for the runs on instances that have run a job before. */
const WARM_ROWS = 300;

/** The bench part: 1 then 3 instances, `runs` times each, alternating, on fresh instances and on warmed ones. */
export async function runClusterScenario(
  runs = Number(process.env.BENCH_CLUSTER_RUNS ?? 2),
  rows = Number(process.env.BENCH_CLUSTER_ROWS ?? 2000),
): Promise<ClusterRun[]> {
  heading(`Cluster: a ${num(rows)}-row job through 1 and through 3 instances on one sqld, documented limits enforced by the sims`);
  const all: ClusterRun[] = [];
  for (let i = 0; i < runs; i++)
    for (const warmRows of [0, WARM_ROWS])
      for (const instances of [1, 3]) {
        // Settled: the shares of members that joined are in force, as in a cluster that has been up a while.
        const r = await runClusterJob({ instances, rows, settleMs: 4500, warmRows });
        out(`  ${describeRun(r)}`);
        all.push(r);
      }
  heading('Cluster: what sqld costs (round trips per row, through a counting proxy) and cached lookups over 1 and 2 instances');
  for (const instances of [1, 3]) {
    const r = await runClusterJob({ instances, rows, settleMs: 4500, countRoundTrips: true });
    out(`  ${describeRun(r)}`);
    all.push(r);
  }
  for (let i = 0; i < runs; i++)
    for (const instances of [1, 2]) {
      const r = await runClusterJob({ instances, rows, settleMs: 4500, cachedLookups: { loops: 64, warmMs: 1000, ms: 5000 } });
      out(`  ${describeRun(r)}`);
      all.push(r);
    }
  return all;
}

export function reportCluster(runs: ClusterRun[]): void {
  const of = (n: number, warm = false) => runs.filter((r) => r.instances === n && !r.roundTrips && !r.cached && r.warmedBy > 0 === warm);
  const ratio = (r: ClusterRun) => (r.rowsPerSecond / r.bound).toFixed(3);
  out('  Cluster, bulk rows/s ÷ provider-limited bound, on fresh instances');
  figure('  1 instance', of(1).map(ratio).join(', '));
  figure('  3 instances', of(3).map(ratio).join(', '), '>= 1 instance');
  out(`  The same, the instances having run a ${num(WARM_ROWS)}-row job first`);
  figure('  1 instance', of(1, true).map(ratio).join(', '));
  figure('  3 instances', of(3, true).map(ratio).join(', '), '>= 1 instance');
  const steady = (r: ClusterRun) => (r.steadyRowsPerSecond / r.bound).toFixed(3);
  out("  Cluster, the same in the job's middle (bottleneck provider's 10th to 90th percentile request)");
  figure('  1 instance', of(1).map(steady).join(', '));
  figure('  3 instances', of(3).map(steady).join(', '), '>= 1 instance');
  figure(
    '  first provider call after the POST, ms, 1 / 3 instances',
    `${of(1)
      .map((r) => num(r.firstCallMs))
      .join(', ')} / ${of(3)
      .map((r) => num(r.firstCallMs))
      .join(', ')}`,
  );
  figure(
    '  429s, peak in flight over documented',
    runs.map((r) => `${r.tooMany}, ${Math.max(...Object.entries(r.peakInflight).map(([id, n]) => n - (r.documented[id]?.concurrency ?? n)))}`).join('; '),
    '0, <= 0',
  );
  for (const r of runs.filter((x) => x.roundTrips)) {
    const t = r.roundTrips!;
    figure(
      `  sqld round trips a row, ${r.instances} instance(s)`,
      `${(t.job / r.rows).toFixed(2)} (idle share ${((t.idlePerSecond * t.seconds) / r.rows).toFixed(2)})`,
    );
  }
  const cachedOf = (n: number) => runs.filter((r) => r.instances === n && r.cached).map((r) => num(r.cached!.perSecond));
  figure('  cached lookups req/s, 1 instance', cachedOf(1).join(', '));
  figure('  cached lookups req/s, 2 instances', cachedOf(2).join(', '));
}
