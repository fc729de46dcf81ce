import fc from 'fast-check';
import { LIMITS } from '../../shared/index.js';
import { KNOWN_CASES } from './corpus.js';
import { batchArb, Entries, isAdversarial, type FuzzRequest } from './requests.js';
import { describeWire, Sender, toWire, type JobPool, type Outcome } from './send.js';
import { Adv, describeString } from './strings.js';
import { FuzzTarget, KEY_A, KEY_B } from './target.js';

/**
 * The fuzz run: seeded batches of requests against a real server process, each
 * batch followed by reads that must still work, then a restart on the same
 * database and the same reads again.
 *
 * Properties, after every batch:
 *  - no response has a status ≥ 500 (this suite injects no storage faults, so
 *    no 503 is expected either), and every request is answered;
 *  - the server process is alive;
 *  - the reads a client makes next answer < 500: GET of each job the batch
 *    created and of two earlier ones, every page of their results, POST
 *    /v1/estimate over the inputs the batch sent, GET /v1/metrics (overall
 *    and per created job).
 * At the end, on the main run's database: a graceful stop, a restart, the same
 * reads for every job, and every job finishing (bounded wait).
 */

export interface FuzzOptions {
  seed: number;
  /** Fuzz requests in the main run (follow-up reads not counted); rounded up to whole batches. */
  requests: number;
  /** A batch is this many adversarial requests and as many others. */
  pairs: number;
  /** Property runs spent shrinking after a failure, at most; each may boot a server on a new database. */
  maxShrinks: number;
  /** Which of the known cases (corpus.ts) to run first; all by default. */
  corpus?: number[];
  /** fast-check's replay path of a counterexample (printed by a failing run), with its seed. */
  path?: string;
  log?: (line: string) => void;
}

export interface BatchFailure {
  check: string;
  /** The exact request that failed or was in flight when the process died, and what came back. */
  culprit: string;
  /** Every request the failing batch sent, in order, with its status. */
  sent: string[];
  /** The end of the server's output (a panic's message). */
  output: string;
}

export interface FuzzReport {
  seed: number;
  batches: number;
  /** Fuzz requests sent by the main run, and how many of them carried adversarial values. */
  requests: number;
  adversarial: number;
  followUps: number;
  statuses: Record<string, number>;
  fiveXX: number;
  /** Unexpected exits of the server during the main run, while shrinking, and at the restart check. */
  deaths: number;
  shrinkDeaths: number;
  shrinkRuns: number;
  failure?: BatchFailure & { numShrinks: number; path?: string; counterexampleRequests: number };
  restart: { problems: string[]; jobs: number; stopped?: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class CheckFailed extends Error {}

/** The inputs a request's body carries (rows' `input`, estimate's `inputs`), as objects an estimate can take; non-string values dropped. */
function inputsOf(r: FuzzRequest): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  const asInput = (e: Entries) => {
    const o: Record<string, string> = {};
    for (const [k, v] of e.entries) {
      const val = v instanceof Adv ? v.value : v;
      if (typeof k === 'string' && typeof val === 'string') o[k] = val;
    }
    return o;
  };
  const walk = (v: unknown, depth: number) => {
    if (depth > 8) return;
    if (v instanceof Entries) {
      for (const [k, x] of v.entries) {
        if (k === 'input' && x instanceof Entries) out.push(asInput(x));
        else if (k === 'inputs' && Array.isArray(x))
          for (const i of x)
            if (i instanceof Entries) out.push(asInput(i));
            else walk(x, depth + 1);
      }
    } else if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
  };
  walk(r.body, 0);
  return out;
}

/** The row keys a create request's body submits, as the API reports them (numbers as strings); undefined if it has none to check. */
function keysOf(r: FuzzRequest): string[] | undefined {
  if (!(r.body instanceof Entries)) return undefined;
  const rows = r.body.entries.find(([k]) => k === 'rows')?.[1];
  if (!Array.isArray(rows)) return undefined;
  const keys: string[] = [];
  for (const row of rows) {
    if (!(row instanceof Entries)) return undefined;
    const raw = row.entries.find(([k]) => k === 'key')?.[1];
    const key = raw instanceof Adv ? raw.value : raw;
    if (typeof key !== 'string' && typeof key !== 'number') return undefined;
    keys.push(String(key));
  }
  return keys;
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const log = opts.log ?? (() => {});
  const target = await FuzzTarget.start();
  const sender = new Sender();
  const batchSize = 2 * opts.pairs;
  const numRuns = Math.max(1, Math.ceil(opts.requests / batchSize));
  const report: FuzzReport = {
    seed: opts.seed,
    batches: 0,
    requests: 0,
    adversarial: 0,
    followUps: 0,
    statuses: {},
    fiveXX: 0,
    deaths: 0,
    shrinkDeaths: 0,
    shrinkRuns: 0,
    restart: { problems: [], jobs: 0 },
  };

  // The main run's database and jobs: kept when shrinking starts (shrink attempts run on new databases), for the restart check.
  let mainDir: string | undefined;
  const mainPool: JobPool = { a: [], b: [] };
  let pool = mainPool;
  let shrinking = false;
  let needFresh = false;
  let lastFailure: BatchFailure | undefined;
  let deathsAtShrinkStart = 0;

  type Call = { endpoint: string; method: string; path: string; body?: Buffer };
  /** A well-formed call of the harness itself (seeding, polling, follow-up reads) with a workspace's key. */
  const api = (c: Call, workspace: 'a' | 'b' = 'a'): Promise<Outcome> =>
    sender.send(target.url, {
      ...c,
      raw: false,
      workspace,
      headers: [
        ['authorization', `Bearer ${workspace === 'a' ? KEY_A : KEY_B}`],
        ...(c.body ? ([['content-type', 'application/json']] as [string, string][]) : []),
      ],
    });

  /** A follow-up read: must be answered, below 500. */
  let lastRead = '';
  const read = async (what: Call, workspace: 'a' | 'b' = 'a'): Promise<Outcome> => {
    lastRead = `follow-up ${what.method} ${what.path}${what.body ? ` body ${describeString(what.body.toString('utf8'))}` : ''}`;
    const res = await api(what, workspace);
    if (!shrinking) report.followUps++;
    if (res.status === 0 || res.status >= 500) {
      const dead = res.status === 0 && (await target.settleDeath());
      throw new CheckFailed(
        `${dead ? 'the process died on' : res.status === 0 ? 'no answer to' : `${res.status} from`} a follow-up read: ${what.method} ${what.path} → ${res.status || res.error} ${res.body?.slice(0, 300) ?? ''}`,
      );
    }
    return res;
  };

  const readJob = async (id: string, workspace: 'a' | 'b') => {
    const enc = encodeURIComponent(id);
    await read({ endpoint: 'follow-up', method: 'GET', path: `/v1/jobs/${enc}` }, workspace);
    const keys = new Set<string>();
    let after = '';
    // At most 50 pages of 500: the largest batch the generators send is 5,000 rows, so a job has fewer pages unless many batches were appended.
    for (let page = 0; page < 50; page++) {
      const res = await read({ endpoint: 'follow-up', method: 'GET', path: `/v1/jobs/${enc}/results?limit=500${after ? `&after=${after}` : ''}` }, workspace);
      const page = res.status === 200 ? (JSON.parse(res.body ?? '{}') as { next?: string; rows?: { key: string }[] }) : {};
      for (const row of page.rows ?? []) keys.add(row.key);
      if (!page.next) break;
      after = page.next;
    }
    return keys;
  };

  /** Two valid jobs per new database, so job references resolve from the first batch on. */
  const seedPool = async () => {
    for (const ws of ['a', 'b'] as const) {
      const body = Buffer.from(
        JSON.stringify({
          fields: ['company.name'],
          rows: [
            { key: '2', input: { domain: 'lead1.com' } },
            { key: '3', input: { email: 'ada@lead2.io' } },
          ],
        }),
      );
      const res = await api({ endpoint: 'seed', method: 'POST', path: '/v1/jobs', body }, ws);
      if (res.status !== 202) throw new Error(`fuzz: could not create a seed job: ${res.status} ${res.body ?? res.error}`);
      pool[ws].push((JSON.parse(res.body!) as { id: string }).id);
    }
  };

  const runBatch = async (requests: FuzzRequest[]) => {
    const sent: string[] = [];
    lastRead = '';
    const created: { id: string; ws: 'a' | 'b'; keys?: string[] }[] = [];
    let culprit = '';
    try {
      for (const r of requests) {
        if (!target.alive()) throw new CheckFailed('the process was dead before the next request');
        const wire = toWire(r, pool);
        culprit = describeWire(wire);
        let res = await sender.send(target.url, wire);
        // Over the body limit (8 MB) or Node's header limit (16 KB), the server may answer 413/431 and close before
        // the client has written the whole request, and the client then sees a broken pipe, not the answer. That is
        // allowed if the server is alive and answers the next request; it is counted apart in the histogram.
        const headBytes = wire.path.length + wire.headers.reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
        const overLimit = (wire.body?.length ?? 0) > LIMITS.bodyBytes || headBytes > 16 * 1024;
        if (res.status === 0 && overLimit && target.alive()) {
          const health = await api({ endpoint: 'health', method: 'GET', path: '/health' });
          if (health.status === 200) res = { status: -1, error: res.error };
        }
        sent.push(`${res.status === -1 ? 'closed over a size limit' : res.status || 'no answer'} ← ${culprit}`);
        culprit = `${culprit} → ${res.status || res.error} ${res.body?.slice(0, 300) ?? ''}`;
        if (!shrinking) {
          report.requests++;
          if (isAdversarial(r)) report.adversarial++;
          const label = res.status === -1 ? 'closed over a size limit' : res.status || 'no answer';
          report.statuses[label] = (report.statuses[label] ?? 0) + 1;
          if (res.status >= 500) report.fiveXX++;
        }
        if (res.status >= 500) throw new CheckFailed(`a ${res.status} answer`);
        if (res.status === 0) throw new CheckFailed((await target.settleDeath()) ? 'the process died' : `no answer (${res.error}) while the process lives`);
        if (wire.workspace && wire.method === 'POST' && wire.path === '/v1/jobs' && (res.status === 200 || res.status === 202)) {
          const id = (JSON.parse(res.body!) as { id: string }).id;
          if (!pool[wire.workspace].includes(id)) pool[wire.workspace].push(id);
          created.push({ id, ws: wire.workspace, keys: keysOf(r) });
        }
      }
      culprit = '';
      // Let the engine take the batch's rows (bounded: 50 polls), so a death in background work shows up in this batch.
      for (let i = 0; i < 50 && created.length; i++) {
        const running = await Promise.all(
          created.map(async (j) =>
            (await api({ endpoint: 'poll', method: 'GET', path: `/v1/jobs/${encodeURIComponent(j.id)}` }, j.ws)).body?.includes('"status":"running"'),
          ),
        );
        if (!running.some(Boolean)) break;
        await sleep(20);
      }
      const earlier = [pool.a[0], pool.a[pool.a.length >> 1]].filter((id): id is string => !!id).map((id) => ({ id, ws: 'a' as const }));
      for (const j of [...created, ...earlier]) {
        const rows = await readJob(j.id, j.ws);
        // A job accepted with these row keys gives each of them back exactly as sent: a key the storage altered
        // (cut at a NUL, a surrogate replaced) would break retry-by-key and write-back.
        const missing = 'keys' in j && j.keys ? j.keys.filter((k) => !rows.has(k)) : [];
        if (missing.length)
          throw new CheckFailed(
            `job ${j.id} was accepted, but its results lack the row keys ${missing.slice(0, 5).map(describeString).join(', ')} (results have ${[...rows].slice(0, 5).map(describeString).join(', ')})`,
          );
      }
      const inputs = requests.flatMap(inputsOf).slice(0, 5000);
      const fields = ['company.name', 'company.employees', 'person.email', 'person.title', 'company.domain', 'person.location'];
      // Unusual inputs alone first (at most 20 a batch): one refused value would hide the rest of a combined estimate,
      // and a failure then names its input.
      for (const input of inputs.filter((i) => Object.values(i).some((v) => /[^\x20-\x7e]|%/.test(v))).slice(0, 20)) {
        await read({ endpoint: 'follow-up', method: 'POST', path: '/v1/estimate', body: Buffer.from(JSON.stringify({ fields, inputs: [input] })) });
      }
      await read({
        endpoint: 'follow-up',
        method: 'POST',
        path: '/v1/estimate',
        body: Buffer.from(JSON.stringify({ fields, inputs: inputs.length ? inputs : [{ domain: 'lead1.com' }] })),
      });
      await read({ endpoint: 'follow-up', method: 'GET', path: '/v1/metrics' });
      for (const j of created.slice(0, 5))
        await read({ endpoint: 'follow-up', method: 'GET', path: `/v1/metrics?window=24h&jobId=${encodeURIComponent(j.id)}` }, j.ws);
      if (!target.alive()) throw new CheckFailed('the process died after the batch');
      return undefined;
    } catch (err) {
      if (!(err instanceof CheckFailed)) throw err;
      return { check: err.message, culprit: culprit || lastRead, sent, output: target.outputTail() } satisfies BatchFailure;
    }
  };

  const property = fc.asyncProperty(batchArb(opts.pairs), async (requests) => {
    if (shrinking) {
      // The shrink budget is spent: pass without sending, so fast-check ends on the smallest failure found so far.
      if (report.shrinkRuns >= opts.maxShrinks) return true;
      report.shrinkRuns++;
    }
    if (needFresh) {
      // A failed batch leaves a dead or poisoned server: each attempt after one starts on a new database,
      // so a shrunk counterexample fails on its own. The main run's database is kept for the restart check.
      if (target.databaseDir === mainDir) {
        await target.stop();
        target.useDatabase(undefined);
      } else await target.discardDatabase();
      await target.boot({ fresh: true });
      pool = { a: [], b: [] };
      await seedPool();
      needFresh = false;
    }
    if (!shrinking) report.batches++;
    const failure = await runBatch(requests);
    if (!shrinking && report.batches % 50 === 0)
      log(`  … ${report.batches} batches, ${report.requests} requests, ${report.fiveXX} 5xx, ${target.deaths.length} deaths`);
    if (!failure) return true;
    if (!shrinking) {
      shrinking = true;
      deathsAtShrinkStart = target.deaths.length;
      mainDir = target.databaseDir;
      log(`failure after ${report.requests} requests: ${failure.check}\n  ${failure.culprit}\n  shrinking (at most ${opts.maxShrinks} runs)…`);
    }
    lastFailure = failure;
    needFresh = true;
    throw new Error(failure.check);
  });

  try {
    await target.boot({ fresh: true });
    mainDir = target.databaseDir;
    await seedPool();
    // The known cases run first; fast-check counts them among the runs.
    const examples = (opts.corpus ?? KNOWN_CASES.map((_, i) => i)).map((i) => [KNOWN_CASES[i]!.batch] as [FuzzRequest[]]);
    const details = await fc.check(property, {
      seed: opts.seed,
      numRuns: numRuns + examples.length,
      examples,
      path: opts.path,
      endOnFailure: false,
      verbose: 0,
    });
    const beforeRestart = target.deaths.length;
    const mainDeaths = shrinking ? deathsAtShrinkStart : beforeRestart;
    report.shrinkDeaths = beforeRestart - mainDeaths;
    if (details.failed) {
      const counterexample = (details.counterexample?.[0] ?? []) as FuzzRequest[];
      report.failure = {
        ...(lastFailure ?? { check: String(details.errorInstance ?? 'failed'), culprit: '', sent: [], output: '' }),
        numShrinks: details.numShrinks,
        path: details.counterexamplePath ?? undefined,
        counterexampleRequests: counterexample.length,
      };
    }
    await restartCheck(target, mainDir!, mainPool, report, (p) => (pool = p), readJob, read, log);
    // Deaths of the main run and of the restart check; the ones while shrinking are the same failure again, counted apart.
    report.deaths = mainDeaths + (target.deaths.length - beforeRestart);
    return report;
  } finally {
    await sender.close();
    await target.close();
  }
}

/** Stop, restart on the main run's database, read every job and its results, estimate and metrics, and wait for every job to finish. */
async function restartCheck(
  target: FuzzTarget,
  mainDir: string,
  mainPool: JobPool,
  report: FuzzReport,
  setPool: (p: JobPool) => void,
  readJob: (id: string, ws: 'a' | 'b') => Promise<Set<string>>,
  read: (c: { endpoint: string; method: string; path: string; body?: Buffer }, ws?: 'a' | 'b') => Promise<Outcome>,
  log: (line: string) => void,
) {
  const problems = report.restart.problems;
  if (target.databaseDir === mainDir) {
    report.restart.stopped = target.alive() ? await target.stop() : 'was not running';
  } else await target.discardDatabase();
  target.useDatabase(mainDir);
  setPool(mainPool);
  const jobs = [...mainPool.a.map((id) => ({ id, ws: 'a' as const })), ...mainPool.b.map((id) => ({ id, ws: 'b' as const }))];
  report.restart.jobs = jobs.length;
  log(`restart on the same database; reading ${jobs.length} jobs…`);
  try {
    await target.boot({ fresh: false });
  } catch (err) {
    problems.push(`the server did not start again on the same database: ${(err as Error).message.slice(0, 2000)}`);
    return;
  }
  try {
    for (const j of jobs) await readJob(j.id, j.ws);
    await read({
      endpoint: 'follow-up',
      method: 'POST',
      path: '/v1/estimate',
      body: Buffer.from(JSON.stringify({ fields: ['company.name', 'person.email'], inputs: [{ domain: 'lead1.com' }, { company: 'Acme' }] })),
    });
    await read({ endpoint: 'follow-up', method: 'GET', path: '/v1/metrics' });
    // Every job finishes: up to 600 rounds of 100 ms over the ones still running (60 s for a loaded machine), then each one left is a problem.
    let running = jobs;
    for (let round = 0; round < 600 && running.length; round++) {
      const still: typeof jobs = [];
      for (const j of running) {
        const res = await read({ endpoint: 'follow-up', method: 'GET', path: `/v1/jobs/${encodeURIComponent(j.id)}` }, j.ws);
        if (res.status !== 200) problems.push(`GET /v1/jobs/${j.id} after the restart: ${res.status} ${res.body?.slice(0, 200)}`);
        else if ((JSON.parse(res.body!) as { status: string }).status === 'running') still.push(j);
      }
      running = still;
      if (running.length) await sleep(100);
    }
    for (const j of running) problems.push(`job ${j.id} still running after the restart and 600 polls`);
  } catch (err) {
    if (!(err instanceof CheckFailed)) throw err;
    problems.push(`after the restart, ${err.message}\n${target.outputTail(2000)}`);
  }
  if (!target.alive()) problems.push(`the server died after the restart:\n${target.outputTail(2000)}`);
}

/** The report as text: seed, counts, status histogram, 5xx and deaths, and the minimal failing request with how to replay it. */
export function formatReport(r: FuzzReport): string {
  const lines = [
    `seed ${r.seed}`,
    `requests sent: ${r.requests} in ${r.batches} batches (adversarial: ${r.adversarial}, ${((100 * r.adversarial) / Math.max(1, r.requests)).toFixed(1)}%), follow-up reads: ${r.followUps}`,
    `statuses: ${Object.entries(r.statuses)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([s, n]) => `${s}×${n}`)
      .join(' ')}`,
    `5xx: ${r.fiveXX}   process deaths: ${r.deaths} (main run), ${r.shrinkDeaths} while shrinking (${r.shrinkRuns} shrink runs)`,
    `restart on the same database: ${r.restart.jobs} jobs, stop ${r.restart.stopped ?? '-'}, ${r.restart.problems.length ? `PROBLEMS:\n  ${r.restart.problems.join('\n  ')}` : 'all reads < 500, every job finished'}`,
  ];
  if (r.failure) {
    const f = r.failure;
    lines.push(
      `FAILED: ${f.check}`,
      `minimal counterexample (${f.counterexampleRequests} requests after ${f.numShrinks} shrinks), the request at fault:`,
      `  ${f.culprit}`,
      `its batch, as sent:`,
      ...f.sent.map((s) => `  ${s}`),
      `server output (end):`,
      f.output
        .split('\n')
        .slice(-25)
        .map((l) => `  | ${l}`)
        .join('\n'),
      `replay: npm run fuzz -- --seed ${r.seed}${f.path ? ` --path ${f.path}` : ''}`,
    );
  }
  return lines.join('\n');
}
