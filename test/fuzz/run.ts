import fc from 'fast-check';
import { LIMITS } from '../../shared/index.js';
import { KNOWN_CASES } from './corpus.js';
import { batchArb, Entries, isAdversarial, type FuzzRequest } from './requests.js';
import { describeWire, Sender, toWire, type JobPool, type Outcome } from './send.js';
import { Adv, describeString } from './strings.js';
import { FuzzTarget, KEY_A, KEY_B, type Outage } from './target.js';

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
 *    and per created job);
 *  - every lead POST /v1/leads accepted is readable at once by the id it was
 *    given: GET /v1/leads/{id} answers 200 with that id and key (all of a
 *    small batch's leads, a sample of a bulk one's), and its job's results
 *    hold every key accepted; so is every row of a job created with lead.*
 *    fields, as `<job id>.<row key>`.
 * At the end, on the main run's database: a graceful stop, a restart, the same
 * reads for every job and every sampled lead, every job finishing (bounded
 * wait), and then no sampled lead of a finished job still pending or running.
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
  /** The pipeline service that was down during the batch, if one was. */
  outage: Outage;
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
  /** Statuses by the endpoint a request aimed at (its generator's label). */
  byEndpoint: Record<string, Record<string, number>>;
  /** Requests whose first sending broke off (a broken pipe while writing a body within the limits), answered when sent again. */
  resent: string[];
  /** Leads POST /v1/leads accepted in the main run, and follow-up reads of them (GET /v1/leads/{id}) that answered 200. */
  leads: { accepted: number; read: number };
  fiveXX: number;
  /** Unexpected exits of the server during the main run, while shrinking, and at the restart check. */
  deaths: number;
  shrinkDeaths: number;
  shrinkRuns: number;
  failure?: BatchFailure & { numShrinks: number; path?: string; counterexampleRequests: number };
  restart: { problems: string[]; jobs: number; leads: number; stopped?: string };
  /**
   * What reached the pipeline's fakes over the whole run (shrinking and the restart included): model requests, HubSpot
   * contacts upserted, Slack messages and webhook deliveries accepted, and the repeats each fake counts (the same write,
   * message or delivery id twice). Figures to read, not checked: the fuzz sends the same email in many leads.
   */
  effects?: { llm: number; hubspot: number; hubspotRepeats: number; slack: number; slack429: number; webhooks: number; webhookRepeats: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One batch in ten of the main run has one of the pipeline's services down for its whole length (the model, HubSpot,
 * the webhook receiver, Slack, in turn), so leads fail at a step, are flagged, and the replays later batches send
 * have runs to resume. By batch number, so a seed replays the same outages; shrinking keeps the failing batch's.
 */
const OUTAGES: Outage[] = ['none', 'none', 'none', 'none', 'none', 'none', 'model', 'hubspot', 'webhook', 'slack'];
const outageOf = (batch: number): Outage => OUTAGES[batch % OUTAGES.length]!;

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
        else if (k === 'inputs' && Array.isArray(x)) {
          for (const i of x) if (i instanceof Entries) out.push(asInput(i));
        }
        // Rows' and leads' inputs sit one level down (`rows[i].input`, `leads[i].input`), MCP arguments two.
        else walk(x, depth + 1);
      }
    } else if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
  };
  walk(r.body, 0);
  return out;
}

/**
 * The keys POST /v1/leads must give its leads: each as sent (a number as its decimal), a lead without one its
 * 1-based position; undefined if the body has none to check.
 */
function leadKeysOf(r: FuzzRequest): string[] | undefined {
  if (!(r.body instanceof Entries)) return undefined;
  const leads = r.body.entries.find(([k]) => k === 'leads')?.[1];
  if (!Array.isArray(leads)) return undefined;
  const keys: string[] = [];
  for (const [i, lead] of leads.entries()) {
    if (!(lead instanceof Entries)) return undefined;
    const entry = lead.entries.find(([k]) => k === 'key');
    const key = entry?.[1] instanceof Adv ? entry[1].value : entry?.[1];
    if (entry === undefined) keys.push(String(i + 1));
    else if (typeof key === 'string' || typeof key === 'number') keys.push(String(key));
    else return undefined;
  }
  return keys;
}

/** Whether a create request asks for a field only the lead pipeline makes (its rows are then leads). */
function asksLeadFields(r: FuzzRequest): boolean {
  if (!(r.body instanceof Entries)) return false;
  const fields = r.body.entries.find(([k]) => k === 'fields')?.[1];
  return Array.isArray(fields) && fields.some((f) => typeof f === 'string' && f.startsWith('lead.'));
}

/** The leads of an accepted batch that are read back: all of a small one, 20 spread over a bulk one (its first and last included). */
function sampleLeads<T>(leads: T[]): T[] {
  if (leads.length <= 20) return leads;
  const at = new Set([0, 1, 2, leads.length - 3, leads.length - 2, leads.length - 1]);
  for (let i = 1; at.size < 20; i++) at.add(Math.floor((i * leads.length) / 15) % leads.length);
  return [...at].sort((a, b) => a - b).map((i) => leads[i]!);
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
    byEndpoint: {},
    resent: [],
    leads: { accepted: 0, read: 0 },
    fiveXX: 0,
    deaths: 0,
    shrinkDeaths: 0,
    shrinkRuns: 0,
    restart: { problems: [], jobs: 0, leads: 0 },
  };

  // The main run's database and jobs: kept when shrinking starts (shrink attempts run on new databases), for the restart check.
  let mainDir: string | undefined;
  const mainPool: JobPool = { a: [], b: [], leads: [] };
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

  /**
   * GET /v1/leads/{id} of a lead that was accepted: must answer 200 with that id and key. Its status (pending, running,
   * or the outcome) and its job's id are returned for the check after the restart.
   */
  const readLead = async (id: string, key: string) => {
    const res = await read({ endpoint: 'follow-up', method: 'GET', path: `/v1/leads/${encodeURIComponent(id)}` });
    const run = res.status === 200 ? (JSON.parse(res.body ?? '{}') as { id?: string; key?: string; jobId?: string; status?: string; steps?: unknown[] }) : {};
    if (res.status !== 200 || run.id !== id || run.key !== key)
      throw new CheckFailed(
        `the accepted lead ${describeString(id)} (key ${describeString(key)}) is not readable by its id: GET /v1/leads/${encodeURIComponent(id)} → ${res.status} ${res.body?.slice(0, 300) ?? ''}`,
      );
    if (!shrinking) report.leads.read++;
    return { status: run.status ?? '', jobId: run.jobId ?? '' };
  };
  /** Every lead read back so far, with the key it was accepted under (for the restart check). */
  const leadKeys = new Map<string, string>();

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

  let outage: Outage = 'none';
  const runBatch = async (requests: FuzzRequest[]) => {
    const sent: string[] = [];
    lastRead = '';
    const created: { id: string; ws: 'a' | 'b'; keys?: string[] }[] = [];
    const accepted: { id: string; key: string }[] = [];
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
        // Within the limits, a request refused at the door (a bad key: 401 before the body is read) may still see its
        // connection closed while a large body is being written, when the server is busy: the client gets a broken
        // pipe, not the 401. Sent again (at most 3 times), the answer must come, and is what counts (< 500 as any).
        if (
          res.status === 0 &&
          !overLimit &&
          wire.body?.length &&
          /EPIPE|ECONNRESET|UND_ERR_SOCKET|other side closed/.test(res.error ?? '') &&
          target.alive()
        ) {
          const first = res.error;
          for (let i = 0; i < 3 && res.status === 0; i++) res = await sender.send(target.url, wire);
          if (res.status !== 0 && !shrinking) report.resent.push(`${res.status} after ${first}: ${culprit.slice(0, 200)}`);
        }
        sent.push(`${res.status === -1 ? 'closed over a size limit' : res.status || 'no answer'} ← ${culprit}`);
        culprit = `${culprit} → ${res.status || res.error} ${res.body?.slice(0, 300) ?? ''}`;
        if (!shrinking) {
          report.requests++;
          if (isAdversarial(r)) report.adversarial++;
          const label = res.status === -1 ? 'closed over a size limit' : res.status || 'no answer';
          report.statuses[label] = (report.statuses[label] ?? 0) + 1;
          const byEndpoint = (report.byEndpoint[r.endpoint] ??= {});
          byEndpoint[label] = (byEndpoint[label] ?? 0) + 1;
          if (res.status >= 500) report.fiveXX++;
        }
        if (res.status >= 500) throw new CheckFailed(`a ${res.status} answer`);
        if (res.status === 0) throw new CheckFailed((await target.settleDeath()) ? 'the process died' : `no answer (${res.error}) while the process lives`);
        if (wire.workspace && wire.method === 'POST' && wire.path === '/v1/jobs' && (res.status === 200 || res.status === 202)) {
          const id = (JSON.parse(res.body!) as { id: string }).id;
          if (!pool[wire.workspace].includes(id)) pool[wire.workspace].push(id);
          created.push({ id, ws: wire.workspace, keys: keysOf(r) });
          // A job asking for lead.* fields runs its rows as leads: each is readable as one, `<job>.<key>`.
          const keys = keysOf(r);
          if (asksLeadFields(r) && keys?.length) {
            const sample = sampleLeads(keys.map((key) => ({ id: `${id}.${key}`, key })));
            accepted.push(...sample);
            pool.leads.push(...sample.map((l) => l.id));
            if (!shrinking) for (const l of sample) leadKeys.set(l.id, l.key);
          }
        }
        if (wire.workspace && wire.method === 'POST' && wire.path === '/v1/leads' && res.status === 202) {
          const got = JSON.parse(res.body!) as { jobId: string; leads: { id: string; key: string }[] };
          // The keys come back as sent (a lead without one: its position): a key the API altered would break its id.
          const expected = leadKeysOf(r);
          const altered = expected ? got.leads.findIndex((l, i) => l.key !== expected[i]) : -1;
          if (expected && (altered >= 0 || got.leads.length !== expected.length))
            throw new CheckFailed(
              `POST /v1/leads accepted ${got.leads.length} leads of ${expected.length}${altered >= 0 ? `, lead ${altered} under the key ${describeString(got.leads[altered]!.key)} instead of ${describeString(expected[altered])}` : ''}`,
            );
          if (!pool[wire.workspace].includes(got.jobId)) pool[wire.workspace].push(got.jobId);
          created.push({ id: got.jobId, ws: wire.workspace, keys: got.leads.map((l) => l.key) });
          const sample = sampleLeads(got.leads);
          accepted.push(...sample);
          pool.leads.push(...sample.map((l) => l.id));
          if (!shrinking) {
            report.leads.accepted += got.leads.length;
            for (const l of sample) leadKeys.set(l.id, l.key);
          }
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
      // Every accepted lead is readable by its id at once, whatever its run has reached.
      for (const l of accepted) await readLead(l.id, l.key);
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
      return { check: err.message, outage, culprit: culprit || lastRead, sent, output: target.outputTail() } satisfies BatchFailure;
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
      pool = { a: [], b: [], leads: [] };
      await seedPool();
      needFresh = false;
    }
    if (!shrinking) {
      report.batches++;
      outage = outageOf(report.batches);
    }
    target.setOutage(outage);
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
        ...(lastFailure ?? { check: String(details.errorInstance ?? 'failed'), outage: 'none' as const, culprit: '', sent: [], output: '' }),
        numShrinks: details.numShrinks,
        path: details.counterexamplePath ?? undefined,
        counterexampleRequests: counterexample.length,
      };
    }
    await restartCheck(target, mainDir!, mainPool, leadKeys, report, (p) => (pool = p), readJob, readLead, read, log);
    // Deaths of the main run and of the restart check; the ones while shrinking are the same failure again, counted apart.
    report.deaths = mainDeaths + (target.deaths.length - beforeRestart);
    const { llm, hubspot, slack, receiver } = target.fakes;
    report.effects = {
      llm: llm.requests.length,
      hubspot: hubspot.upserts.length,
      hubspotRepeats: hubspot.duplicateUpserts(),
      slack: slack.messages.length,
      slack429: slack.statuses[429] ?? 0,
      webhooks: receiver.deliveries.length,
      webhookRepeats: receiver.duplicates(),
    };
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
  leadKeys: ReadonlyMap<string, string>,
  report: FuzzReport,
  setPool: (p: JobPool) => void,
  readJob: (id: string, ws: 'a' | 'b') => Promise<Set<string>>,
  readLead: (id: string, key: string) => Promise<{ status: string; jobId: string }>,
  read: (c: { endpoint: string; method: string; path: string; body?: Buffer }, ws?: 'a' | 'b') => Promise<Outcome>,
  log: (line: string) => void,
) {
  const problems = report.restart.problems;
  // Every service back: each job can finish.
  target.setOutage('none');
  if (target.databaseDir === mainDir) {
    report.restart.stopped = target.alive() ? await target.stop() : 'was not running';
  } else await target.discardDatabase();
  target.useDatabase(mainDir);
  setPool(mainPool);
  const jobs = [...mainPool.a.map((id) => ({ id, ws: 'a' as const })), ...mainPool.b.map((id) => ({ id, ws: 'b' as const }))];
  report.restart.jobs = jobs.length;
  report.restart.leads = leadKeys.size;
  log(`restart on the same database; reading ${jobs.length} jobs and ${leadKeys.size} leads…`);
  try {
    await target.boot({ fresh: false });
  } catch (err) {
    problems.push(`the server did not start again on the same database: ${(err as Error).message.slice(0, 2000)}`);
    return;
  }
  try {
    for (const j of jobs) await readJob(j.id, j.ws);
    for (const [id, key] of leadKeys) await readLead(id, key);
    await read({
      endpoint: 'follow-up',
      method: 'POST',
      path: '/v1/estimate',
      body: Buffer.from(JSON.stringify({ fields: ['company.name', 'person.email'], inputs: [{ domain: 'lead1.com' }, { company: 'Acme' }] })),
    });
    await read({ endpoint: 'follow-up', method: 'GET', path: '/v1/metrics' });
    // Every job finishes: up to 600 rounds of 100 ms over the ones still running (60 s for a loaded machine), then each one left is a problem.
    let running = jobs;
    const done = new Set<string>();
    for (let round = 0; round < 600 && running.length; round++) {
      const still: typeof jobs = [];
      for (const j of running) {
        const res = await read({ endpoint: 'follow-up', method: 'GET', path: `/v1/jobs/${encodeURIComponent(j.id)}` }, j.ws);
        const status = res.status === 200 ? (JSON.parse(res.body!) as { status: string }).status : undefined;
        if (res.status !== 200) problems.push(`GET /v1/jobs/${j.id} after the restart: ${res.status} ${res.body?.slice(0, 200)}`);
        else if (status === 'running') still.push(j);
        else if (status === 'done') done.add(j.id);
      }
      running = still;
      if (running.length) await sleep(100);
    }
    for (const j of running) problems.push(`job ${j.id} still running after the restart and 600 polls`);
    // A lead of a finished job has finished its run: read again, none is still pending or running.
    for (const [id, key] of leadKeys) {
      const run = await readLead(id, key);
      if (done.has(run.jobId) && (run.status === 'pending' || run.status === 'running'))
        problems.push(`lead ${describeString(id)} is ${run.status} though its job ${run.jobId} is done`);
    }
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
    `leads accepted: ${r.leads.accepted}, read back by id: ${r.leads.read}`,
    ...(r.effects
      ? [
          `at the pipeline's fakes: ${r.effects.llm} model requests, ${r.effects.hubspot} HubSpot upserts (${r.effects.hubspotRepeats} repeats), ${r.effects.slack} Slack messages (${r.effects.slack429} answered 429), ${r.effects.webhooks} webhook deliveries (${r.effects.webhookRepeats} repeats)`,
        ]
      : []),
    `by endpoint (requests labelled with a parenthesis, as another method, not UTF-8, malformed JSON-RPC or over 8 MB, are in the totals only):`,
    ...Object.entries(r.byEndpoint)
      .filter(([e]) => !e.includes('('))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([e, counts]) =>
          `  ${e}: ${Object.entries(counts)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([s, n]) => `${s}×${n}`)
            .join(' ')}`,
      ),
    ...(r.resent.length ? [`sent again after a broken pipe, then answered (${r.resent.length}):`, ...r.resent.map((x) => `  ${x}`)] : []),
    `5xx: ${r.fiveXX}   process deaths: ${r.deaths} (main run), ${r.shrinkDeaths} while shrinking (${r.shrinkRuns} shrink runs)`,
    `restart on the same database: ${r.restart.jobs} jobs, ${r.restart.leads} leads, stop ${r.restart.stopped ?? '-'}, ${r.restart.problems.length ? `PROBLEMS:\n  ${r.restart.problems.join('\n  ')}` : 'all reads < 500, every job finished'}`,
  ];
  if (r.failure) {
    const f = r.failure;
    lines.push(
      `FAILED: ${f.check}${f.outage === 'none' ? '' : ` (with ${f.outage} down)`}`,
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
