/**
 * Issue 18's pipeline benchmark: `npm run bench -- pipeline`. Figures only.
 *
 * The engine and the outside world (data provider, model, HubSpot, Slack, a
 * webhook receiver: the fakes the tests use) run in two child processes
 * (pipelineProcess.ts); this process is the API client. Both parts use the
 * tests' pipeline (test/helpers/pipelineWorld.ts) with the engine's default
 * settings, the model's concurrency at LLM_CONCURRENCY and its latency at
 * LLM_LATENCY_MS, HubSpot at its default 100 requests per 10 s, Slack at
 * about one message a second (a burst of 3), and one change to the score
 * rules: the second rule gives its points from ENTERPRISE_EMPLOYEES people up
 * (the tests' 500 make nine leads in ten qualified; this makes about one in
 * ten, closer to an inbound funnel, and keeps Slack's one message a second
 * from being the only thing measured).
 *
 * 1. Overhead per step: OVERHEAD_LEADS leads run once (enrichment bought,
 *    effects off), then as many new ones (same domains, new emails, so
 *    neither dedup nor the model's cache answers) sent as form leads at
 *    OVERHEAD_PER_SECOND, below every limit, so a step's time is its own and
 *    not a queue's. From each run's audit journal (GET /v1/leads/{id}
 *    history: duration per attempt) and the fakes' arrival times: each
 *    step's time less the external service's own (the model's configured
 *    latency; the fakes of HubSpot, Slack and the webhook answer at once).
 * 2. Form leads during an import: every domain's enrichment cached, a
 *    20,000-lead import (4 POSTs of 5,000) and, while it runs, one form lead
 *    POSTed every FORM_EVERY_MS, each timed from its POST until GET
 *    /v1/leads/{id} (polled every POLL_MS) says its run is complete, and
 *    taken apart from its journal; the runner's rows in hand and the
 *    outbox's unsent effects per target are sampled every second.
 *
 * A step's journalled duration runs from its start to just before its
 * checkpoint is written, so each checkpoint commit shows as the gap before
 * the next step. Arrival times at the fakes split qualify, deliver and notify
 * into the wait before their request left and the time after the answer.
 * Both clocks are this machine's wall clock (Date.now), in ms.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobView, LeadRun } from '../../shared/index.js';
import { forkTs, type IpcChild } from './ipc.js';
import type {
  EngineReady,
  EngineReply,
  EngineRequest,
  EngineSpec,
  EngineStats,
  FakesLog,
  FakesReady,
  FakesReply,
  FakesRequest,
  FakesSpec,
} from './pipelineProcess.js';
import { figure, heading, num, out, table } from './report.js';

const LLM_LATENCY_MS = 300;
const LLM_CONCURRENCY = 32;
const ENTERPRISE_EMPLOYEES = 4500;

const OVERHEAD_LEADS = 2000;
const OVERHEAD_PER_POST = 10;
const OVERHEAD_PER_SECOND = 100;

const IMPORT_LEADS = 20_000;
const IMPORT_BATCH = 5000;
/** Companies the import's contacts work at (four contacts each): every one's enrichment is cached first. */
const COMPANIES = 5000;
const FORM_EVERY_MS = 500;
/** The form stream stops when the import is done, or after this long. */
const FORM_WINDOW_MS = 40_000;
/** A form lead not complete this long after its POST is counted at this figure (its true time is longer). */
const FORM_CAP_MS = 30_000;
const POLL_MS = 20;
export const FORM_TARGET_P95_MS = 1000;

const WORKSPACE = 'bench-leads';
/** The engine's default `engine.maxInflightRows`, which the bench keeps. */
const MAX_INFLIGHT_ROWS = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs: number[], q: number) =>
  xs.length === 0 ? Number.NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * q) - 1)]!;
const pq = (xs: number[]) => ({ p50: quantile(xs, 0.5), p95: quantile(xs, 0.95) });
/** Every figure here is wall-clock time: other work on the machine lengthens them all, so each part says how loaded it was. */
const machine = () =>
  `load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} on ${cpus().length} CPUs`;
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 1 : 0) : 'n/a');

// ---------------------------------------------------------------- the world

/** The V8 flags `npm start` gives the server, as cascadeClient.ts does. */
function serverNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.match(/--[\w-]+=\S+/g) ?? [];
}

/** The tests' pipeline world, as the bench runs it (see the top of the file for what differs). */
function benchConfig(config: Record<string, unknown>): Record<string, unknown> {
  const c = structuredClone(config) as { engine?: unknown; providers: Record<string, unknown>[]; pipelines: Record<string, any> };
  // The engine as `npm start` runs it: the tests' fast retries, leases and polls are theirs.
  delete c.engine;
  c.providers = c.providers.map((p) => (p.kind === 'llm' ? { ...p, concurrency: LLM_CONCURRENCY, timeoutMs: 10_000 } : p));
  const pipeline = c.pipelines['*'];
  pipeline.score.rules = [
    { name: 'known company', points: 40, if: { field: 'company.name', present: true } },
    { name: 'enterprise', points: 40, if: { field: 'company.employees', between: [ENTERPRISE_EMPLOYEES, null] } },
  ];
  pipeline.qualify.instructions = `Companies of ${ENTERPRISE_EMPLOYEES} people or more.`;
  return c;
}

interface Api {
  url: string;
  key: string;
  metricsToken?: string;
}

interface World {
  api: Api;
  log(): Promise<FakesLog>;
  stats(resetLoop?: boolean): Promise<EngineStats | undefined>;
  close(): Promise<void>;
}

async function startWorld(): Promise<World> {
  const entry = new URL('./pipelineProcess.ts', import.meta.url);
  const fakesSpec: FakesSpec = { llmLatencyMs: LLM_LATENCY_MS };
  const fakes = await forkTs<FakesReady, FakesRequest, FakesReply>(entry, { BENCH_PIPELINE: 'fakes', BENCH_PIPELINE_SPEC: JSON.stringify(fakesSpec) }, 30_000);
  const dir = mkdtempSync(join(tmpdir(), 'cascade-bench-leads-'));
  let engine: { ready: EngineReady; child: IpcChild<EngineRequest, EngineReply> };
  try {
    const spec: EngineSpec = { config: benchConfig(fakes.ready.config), env: fakes.ready.env, dir, workspace: WORKSPACE };
    engine = await forkTs<EngineReady, EngineRequest, EngineReply>(
      entry,
      { BENCH_PIPELINE: 'engine', BENCH_PIPELINE_SPEC: JSON.stringify(spec) },
      60_000,
      serverNodeFlags(),
    );
  } catch (err) {
    await fakes.child.close({ type: 'close' }, 10_000);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    api: engine.ready,
    async log() {
      const log = await fakes.child.request({ type: 'log' }, 60_000);
      if (!log) throw new Error('the fakes sent no log');
      return log;
    },
    stats: (resetLoop = false) =>
      engine.child.request({ type: 'stats', resetLoop }, 10_000).then(
        (s) => s ?? undefined,
        () => undefined,
      ),
    async close() {
      await engine.child.close({ type: 'stop' }, 30_000);
      await fakes.child.close({ type: 'close' }, 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** 503 storage_busy answers and reads sent again after a network error, by request (`POST /v1/leads`), since the count was last reset. */
const busy = new Map<string, number>();
/** Times a request answered 503 storage_busy is sent again, after the Retry-After it carries, as the API asks. */
const BUSY_RETRIES = 10;

async function call<T>(api: Api, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 60_000): Promise<T> {
  for (let tries = 0; ; tries++) {
    let res: Response;
    try {
      res = await fetch(`${api.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${api.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      // A kept-alive connection the server closed as it was reused: a read is sent again; a POST is not (it may have gone through).
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const what = `${method} ${path.split('/').slice(0, 3).join('/')}: ${cause?.code ?? cause?.message ?? (err as Error).message}`;
      if (method === 'GET' && tries < BUSY_RETRIES) {
        busy.set(what, (busy.get(what) ?? 0) + 1);
        await sleep(100);
        continue;
      }
      throw new Error(what);
    }
    const text = await res.text();
    if (res.status === 503 && text.includes('storage_busy') && tries < BUSY_RETRIES) {
      const what = `${method} ${path.split('/').slice(0, 3).join('/')}`;
      busy.set(what, (busy.get(what) ?? 0) + 1);
      await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
      continue;
    }
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }
}

/** The 503 storage_busy answers since the last call, and a fresh count. */
function busyAnswers(): string {
  const said = [...busy].map(([what, n]) => `${what} ×${n}`).join(', ');
  busy.clear();
  return said || 'none';
}

/** Rows the engine's runner holds now (its GET /metrics), against `engine.maxInflightRows`. */
async function rowsInHand(api: Api): Promise<number | undefined> {
  const res = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${api.metricsToken}` }, signal: AbortSignal.timeout(10_000) });
  const m = /^cascade_rows_in_hand (\d+)/m.exec(await res.text());
  return m ? Number(m[1]) : undefined;
}

type Accepted = { jobId: string; leads: { id: string; key: string }[] };

/** A lead named by its token: its Slack line says `Buyer-<token>`, its key and email's local part are the token. */
const lead = (token: string, domain: string) => ({ key: token, input: { email: `${token}@${domain}`, firstName: 'Sam', lastName: `Buyer-${token}` } });

const finished = (status: string) => status !== 'pending' && status !== 'running';

/** Waits until none of the jobs is running; false if that takes over `timeoutMs`. */
async function waitJobs(api: Api, ids: string[], timeoutMs: number): Promise<boolean> {
  let left = [...ids];
  const until = Date.now() + timeoutMs;
  while (left.length > 0 && Date.now() < until) {
    const still: string[] = [];
    for (const id of left) if ((await call<JobView>(api, 'GET', `/v1/jobs/${id}`)).status === 'running') still.push(id);
    left = still;
    if (left.length > 0) await sleep(200);
  }
  return left.length === 0;
}

/** Runs `fn` over `items`, `parallel` at a time. */
async function each<T, R>(items: T[], parallel: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
}

// ---------------------------------------------------------------- a run taken apart

/** Where the effects of a lead arrived, from the fakes' logs (ms since the epoch). */
interface Arrivals {
  llm: Map<string, number>;
  hubspot: Map<string, number>;
  webhook: Map<string, number>;
  slack: Map<string, number>;
}

function arrivalsOf(log: FakesLog): Arrivals {
  const first = (pairs: [string, number][]) => {
    const m = new Map<string, number>();
    for (const [k, at] of pairs) if (!m.has(k)) m.set(k, at);
    return m;
  };
  return {
    llm: first(log.llm.requests.map((r) => [r.email.toLowerCase(), r.at])),
    hubspot: first(log.hubspot.upserts.map((u) => [u.email, u.at])),
    webhook: first(log.webhook.deliveries.map((d) => [d.lead, d.at])),
    slack: first(log.slack.messages.flatMap((m) => m.tokens.map((t): [string, number] => [t, m.at]))),
  };
}

/** The parts of one run's time, in ms. Steps' own times have the model's latency taken out. */
interface Parts {
  /** POST sent → first step starts: the POST's intake, then the runner's claim. */
  claim: number;
  /** POST sent → its answer: the intake. */
  post: number;
  /** Each gap between two consecutive attempts: a checkpoint commit (or a release and reclaim). */
  gaps: number[];
  /** Qualify starts → its request arrives at the model; the model's answer leaves → the step ends. */
  modelWait?: number;
  modelAfter?: number;
  /** Each step's own time (the model's latency out): key is the step, or the step and how it ended. */
  steps: Record<string, number>;
  /** Between steps: each step's checkpoint commit, and any release and reclaim (a retry). */
  between: number;
  /** First step starts → last step ends, less the model's latency. */
  span: number;
  /** Σ of the steps' own times. */
  stepsTotal: number;
  /** POST sent → last step ends, less the model's latency. */
  total: number;
  /** The model's configured latency, counted once if it was asked. */
  external: number;
  /** Deliver step starts → its contact's batch arrives at HubSpot; → its message arrives at the webhook. */
  hubspotWait?: number;
  webhookWait?: number;
  /** The later of the two arrivals → the deliver step ends. */
  deliverAfter?: number;
  notifyWait?: number;
  notifyAfter?: number;
  lastEnd: number;
  asked: boolean;
  qualified: boolean;
  retries: number;
}

function partsOf(run: LeadRun, postAt: number, postDoneAt: number, email: string, token: string, arrivals: Arrivals): Parts | undefined {
  const h = run.history.map((a) => ({ ...a, end: Date.parse(a.at), start: Date.parse(a.at) - a.durationMs }));
  if (h.length === 0) return undefined;
  const steps: Record<string, number> = {};
  let external = 0;
  let asked = false;
  let stepsTotal = 0;
  for (const a of h) {
    let own = a.durationMs;
    let name: string = a.step;
    if (a.step === 'qualify') {
      asked = a.outcome === 'done' && (a.output as { cached?: boolean } | null)?.cached !== true;
      if (asked) {
        own -= LLM_LATENCY_MS;
        external += LLM_LATENCY_MS;
        name = 'qualify: model asked (less its latency)';
      } else name = a.outcome === 'skipped' ? 'qualify: below the floor' : 'qualify: cached';
    }
    if (a.step === 'notify') name = a.outcome === 'done' ? 'notify: qualified' : 'notify: not qualified (skipped)';
    steps[name] = (steps[name] ?? 0) + own;
    stepsTotal += own;
  }
  const first = Math.min(...h.map((a) => a.start));
  const lastEnd = Math.max(...h.map((a) => a.end));
  const span = lastEnd - first - external;
  const deliver = h.findLast((a) => a.step === 'deliver' && a.outcome === 'done');
  const notify = h.findLast((a) => a.step === 'notify' && a.outcome === 'done');
  const sorted = [...h].sort((a, b) => a.start - b.start);
  const parts: Parts = {
    claim: first - postAt,
    post: postDoneAt - postAt,
    gaps: sorted.slice(1).map((a, i) => a.start - sorted[i]!.end),
    steps,
    between: span - stepsTotal,
    span,
    stepsTotal,
    total: lastEnd - postAt - external,
    external,
    lastEnd,
    asked,
    qualified: run.values['lead.qualified'] === true,
    retries: h.length - new Set(h.map((a) => a.step)).size,
  };
  const qualify = h.findLast((a) => a.step === 'qualify' && a.outcome === 'done');
  const askedAt = arrivals.llm.get(email.toLowerCase());
  if (asked && qualify && askedAt !== undefined) {
    parts.modelWait = askedAt - qualify.start;
    parts.modelAfter = qualify.end - (askedAt + LLM_LATENCY_MS);
  }
  if (deliver) {
    const hubspot = arrivals.hubspot.get(email.toLowerCase());
    const webhook = arrivals.webhook.get(run.id);
    if (hubspot !== undefined) parts.hubspotWait = hubspot - deliver.start;
    if (webhook !== undefined) parts.webhookWait = webhook - deliver.start;
    if (hubspot !== undefined && webhook !== undefined) parts.deliverAfter = deliver.end - Math.max(hubspot, webhook);
  }
  const slackAt = arrivals.slack.get(token);
  if (notify && slackAt !== undefined) {
    parts.notifyWait = slackAt - notify.start;
    parts.notifyAfter = notify.end - slackAt;
  }
  return parts;
}

const STEP_ORDER: string[] = [
  'dedup',
  'enrich',
  'score',
  'qualify: model asked (less its latency)',
  'qualify: below the floor',
  'qualify: cached',
  'route',
  'deliver',
  'notify: qualified',
  'notify: not qualified (skipped)',
];

const INCLUDES: Record<string, string> = {
  dedup: 'identity claim (SQL)',
  enrich: 'cached waterfall',
  score: 'rules, in memory',
  'qualify: model asked (less its latency)': 'gate, prompt, HTTP to the fake, parse, cache write',
  'qualify: below the floor': 'no call',
  route: 'round-robin turn (SQL)',
  deliver: 'outbox enqueue, batch wait + pacing, send, settle',
  'notify: qualified': "outbox, Slack's 1/s pacing (digests), send",
};

interface Row {
  label: string;
  xs: number[];
  note?: string;
}

function printRows(rows: Row[], withMax = false): void {
  table(
    ['', 'n', 'p50 ms', 'p95 ms', ...(withMax ? ['max ms'] : []), ''],
    rows
      .filter((r) => r.xs.length > 0)
      .map((r) => [r.label, num(r.xs.length), ms(quantile(r.xs, 0.5)), ms(quantile(r.xs, 0.95)), ...(withMax ? [ms(Math.max(...r.xs))] : []), r.note ?? '']),
  );
}

function stepRows(parts: Parts[]): Row[] {
  return STEP_ORDER.map((s) => ({ label: s, xs: parts.flatMap((p) => (p.steps[s] === undefined ? [] : [p.steps[s]!])), note: INCLUDES[s] }));
}

function effectRows(parts: Parts[]): Row[] {
  const pick = (f: (p: Parts) => number | undefined) => parts.flatMap((p) => (f(p) === undefined ? [] : [f(p)!]));
  return [
    { label: '  qualify: start → request at the model', xs: pick((p) => p.modelWait), note: "the model's gate (32 at a time), the prompt" },
    { label: "  qualify: model's answer → step done", xs: pick((p) => p.modelAfter), note: 'parse, the answer committed to the cache' },
    { label: '  deliver: start → contact at HubSpot', xs: pick((p) => p.hubspotWait), note: 'enqueue, queue, batch, 10 req/s pacing' },
    { label: '  deliver: start → message at the webhook', xs: pick((p) => p.webhookWait), note: 'enqueue, queue, batch of 20' },
    { label: '  deliver: the later arrival → step done', xs: pick((p) => p.deliverAfter), note: 'answer, settle, wake the run' },
    { label: '  notify: start → message at Slack', xs: pick((p) => p.notifyWait), note: "enqueue, Slack's pacing, digest" },
    { label: '  notify: message at Slack → step done', xs: pick((p) => p.notifyAfter), note: 'answer, settle, wake the run' },
  ];
}

// ---------------------------------------------------------------- part 1

export interface OverheadResult {
  /** p50/p95 per step of its own time, ms. */
  steps: Record<string, { p50: number; p95: number; n: number }>;
  stepsTotal: { p50: number; p95: number };
  /** One checkpoint commit: a gap between two steps. */
  commit: { p50: number; p95: number };
  total: { p50: number; p95: number };
}

async function runOverhead(): Promise<OverheadResult> {
  heading(`Pipeline overhead per step: ${num(OVERHEAD_LEADS)} form leads at ${OVERHEAD_PER_SECOND}/s, enrichment cached, model ${LLM_LATENCY_MS} ms`);
  const world = await startWorld();
  busy.clear();
  try {
    const { api } = world;
    const domains = Array.from({ length: OVERHEAD_LEADS }, (_, i) => `ovh${i}.com`);
    // Once to buy each domain's enrichment (and warm the engine), with no effects.
    const t0 = Date.now();
    const warm = await call<Accepted>(api, 'POST', '/v1/leads', {
      source: 'import',
      leads: domains.map((d, i) => lead(`w${i}`, d)),
      deliver: false,
      notify: false,
    });
    if (!(await waitJobs(api, [warm.jobId], 90_000))) throw new Error('the warm-up run took over 90 s');
    const before = await world.log();
    out(`  warm-up: ${num(OVERHEAD_LEADS)} leads run in ${((Date.now() - t0) / 1000).toFixed(1)} s (enrichment bought: ${num(before.providerCalls)} calls)`);

    // The measured leads: same domains, new emails, POSTed in small batches at a steady pace.
    const posted: { id: string; token: string; email: string; postAt: number; postDoneAt: number }[] = [];
    const jobs: string[] = [];
    const start = performance.now();
    const everyMs = (OVERHEAD_PER_POST / OVERHEAD_PER_SECOND) * 1000;
    for (let b = 0; b * OVERHEAD_PER_POST < OVERHEAD_LEADS; b++) {
      await sleep(Math.max(0, start + b * everyMs - performance.now()));
      const batch = domains.slice(b * OVERHEAD_PER_POST, (b + 1) * OVERHEAD_PER_POST).map((d, j) => lead(`m${b * OVERHEAD_PER_POST + j}`, d));
      const postAt = Date.now();
      const res = await call<Accepted>(api, 'POST', '/v1/leads', { source: 'form', leads: batch });
      jobs.push(res.jobId);
      const postDoneAt = Date.now();
      for (const [j, l] of res.leads.entries()) posted.push({ id: l.id, token: batch[j]!.key, email: batch[j]!.input.email, postAt, postDoneAt });
    }
    const sentIn = (performance.now() - start) / 1000;
    const done = await waitJobs(api, jobs, 60_000);
    const stats = await world.stats();
    const runs = await each(posted, 8, (p) => call<LeadRun>(api, 'GET', `/v1/leads/${encodeURIComponent(p.id)}`));
    const log = await world.log();
    const arrivals = arrivalsOf(log);
    const parts = posted.flatMap((p, i) => {
      const x = runs[i]!;
      const got = finished(x.status) ? partsOf(x, p.postAt, p.postDoneAt, p.email, p.token, arrivals) : undefined;
      return got ? [got] : [];
    });
    out(
      `  measured: ${num(posted.length)} leads sent in ${sentIn.toFixed(1)} s; ${num(parts.length)} complete${done ? '' : ' (not all within 60 s)'}; ` +
        `${num(parts.filter((p) => p.asked).length)} asked the model, ${num(parts.filter((p) => p.qualified).length)} qualified; ` +
        `paid enrichment calls (0: all from the cache): ${num(log.providerCalls - before.providerCalls)}; ` +
        `step retries: ${num(parts.reduce((a, p) => a + p.retries, 0))}`,
    );
    out(`  503 storage_busy answers (sent again after their Retry-After) and reads sent again after a network error: ${busyAnswers()}`);
    out(
      `  effects: HubSpot ${num(log.hubspot.upserts.length)} contacts in ${num(log.hubspot.statuses[200] ?? 0)} requests (429s: ${log.hubspot.statuses[429] ?? 0}), ` +
        `webhook ${num(log.webhook.deliveries.length)}, Slack ${num(log.slack.messages.length)} messages naming ${num(arrivals.slack.size)} leads (429s: ${log.slack.statuses[429] ?? 0})`,
    );
    out(`  Each step's own time: its journalled duration, less the model's ${LLM_LATENCY_MS} ms where it was asked (the other fakes answer at once).`);
    printRows(stepRows(parts));
    printRows(effectRows(parts));
    const rows: Row[] = [
      { label: 'all steps (Σ own time)', xs: parts.map((p) => p.stepsTotal), note: 'the per-lead overhead of the steps' },
      { label: 'between steps', xs: parts.map((p) => p.between), note: "Σ of each step's checkpoint commit" },
      { label: '  one checkpoint commit', xs: parts.flatMap((p) => p.gaps), note: 'the gap between two steps' },
      { label: 'POST answered', xs: parts.map((p) => p.post), note: `intake of ${OVERHEAD_PER_POST} leads` },
      { label: 'POST sent → first step', xs: parts.map((p) => p.claim), note: 'the POST, then the runner claims the row' },
      { label: 'whole run, POST → last step end', xs: parts.map((p) => p.total), note: `less the model's ${LLM_LATENCY_MS} ms where asked` },
      {
        label: '  the same, leads not qualified',
        xs: parts.filter((p) => !p.qualified).map((p) => p.total),
        note: 'no notify: no Slack pacing',
      },
    ];
    printRows(rows);
    if (stats) {
      out(
        `  engine event loop over the part: p50 ${ms(stats.loop.p50Ms)} ms, p99 ${ms(stats.loop.p99Ms)} ms, max ${ms(stats.loop.maxMs)} ms; ` +
          `GC ${num(stats.gc.totalMs)} ms in all, the longest ${ms(stats.gc.maxMs)} ms; peak heap used ${num(stats.gc.peakHeapUsedMB)} MB`,
      );
    }
    out(`  machine at the end of the part: ${machine()}`);
    const summary = (xs: number[]) => ({ p50: quantile(xs, 0.5), p95: quantile(xs, 0.95), n: xs.length });
    return {
      steps: Object.fromEntries(stepRows(parts).map((r) => [r.label, summary(r.xs)])),
      stepsTotal: summary(parts.map((p) => p.stepsTotal)),
      commit: summary(parts.flatMap((p) => p.gaps)),
      total: summary(parts.map((p) => p.total)),
    };
  } finally {
    await world.close();
  }
}

// ---------------------------------------------------------------- part 2

interface FormLead {
  n: number;
  token: string;
  email: string;
  id?: string;
  postAt: number;
  /** When the POST was answered. */
  postDoneAt?: number;
  /** POST sent → run seen complete, ms (FORM_CAP_MS for one that never was). */
  e2e: number;
  complete: boolean;
  run?: LeadRun;
  error?: string;
}

export interface FormResult {
  n: number;
  p50: number;
  p95: number;
  max: number;
  /** Form leads not complete within FORM_CAP_MS: counted at it, so p95 is a lower bound when there are any. */
  incomplete: number;
  qualified: { n: number; p95: number };
  notQualified: { n: number; p95: number };
  importDoneAtStreamEnd: number;
  /** p50 / p95 of the parts of a complete form lead's time. */
  parts: Record<'POST answered' | 'POST sent → first step' | 'one checkpoint commit' | 'between steps', { p50: number; p95: number }>;
}

/** The `q` quantile of these form leads' POST → complete times. */
function e2eAt(leads: FormLead[], q: number): number {
  return quantile(
    leads.map((f) => f.e2e),
    q,
  );
}

async function sendForm(api: Api, n: number): Promise<FormLead> {
  const token = `f${n}`;
  const l = lead(token, `co${(n * 7919) % COMPANIES}.com`);
  const postAt = Date.now();
  const t0 = performance.now();
  const f: FormLead = { n, token, email: l.input.email, postAt, e2e: FORM_CAP_MS, complete: false };
  try {
    const res = await call<Accepted>(api, 'POST', '/v1/leads', { source: 'form', leads: [l] });
    f.postDoneAt = Date.now();
    f.id = res.leads[0]!.id;
    const path = `/v1/leads/${encodeURIComponent(f.id)}`;
    while (performance.now() - t0 < FORM_CAP_MS) {
      const run = await call<LeadRun>(api, 'GET', path);
      f.run = run;
      if (finished(run.status)) {
        f.e2e = performance.now() - t0;
        f.complete = true;
        break;
      }
      await sleep(POLL_MS);
    }
  } catch (err) {
    f.error = (err as Error).message;
  }
  return f;
}

async function runFormDuringImport(): Promise<FormResult> {
  heading(`Form leads during a ${num(IMPORT_LEADS)}-lead import: enrichment cached, model ${LLM_LATENCY_MS} ms, ${LLM_CONCURRENCY} at a time`);
  const world = await startWorld();
  busy.clear();
  try {
    const { api } = world;
    // Every company's enrichment bought first, by a plain enrichment job: the leads then find it cached.
    const t0 = Date.now();
    const warm = await call<{ id: string }>(api, 'POST', '/v1/jobs', {
      fields: ['company.name', 'company.employees'],
      rows: Array.from({ length: COMPANIES }, (_, d) => ({ key: String(d + 2), input: { domain: `co${d}.com` } })),
    });
    if (!(await waitJobs(api, [warm.id], 90_000))) throw new Error('the warm-up job took over 90 s');
    const warmed = await world.log();
    out(`  warm-up: ${num(COMPANIES)} companies enriched in ${((Date.now() - t0) / 1000).toFixed(1)} s (${num(warmed.providerCalls)} calls)`);

    const importJobs: string[] = [];
    const importPosts: number[] = [];
    const imports = Array.from({ length: IMPORT_LEADS / IMPORT_BATCH }, (_, b) =>
      Array.from({ length: IMPORT_BATCH }, (_, j) => {
        const n = b * IMPORT_BATCH + j;
        return lead(`i${n}`, `co${n % COMPANIES}.com`);
      }),
    );
    const postImport = async (batch: ReturnType<typeof lead>[]) => {
      const s = performance.now();
      const res = await call<Accepted>(api, 'POST', '/v1/leads', { source: 'import', leads: batch });
      importPosts.push(performance.now() - s);
      importJobs.push(res.jobId);
    };
    const importStart = performance.now();
    await postImport(imports[0]!);
    // The rest of the import goes in while the form leads come: a client sending its batches one after another.
    let importError: string | undefined;
    const restOfImport = (async () => {
      for (const batch of imports.slice(1)) await postImport(batch);
    })().catch((err: unknown) => {
      importError = (err as Error).message;
    });

    // Import progress, every second, until the stream ends.
    let streaming = true;
    let importDone = 0;
    let importFinished = false;
    const progress: { s: number; done: number; inHand?: number; outbox?: Record<string, number> }[] = [];
    const monitor = (async () => {
      while (streaming) {
        await sleep(1000);
        try {
          const [views, inHand, stats] = await Promise.all([
            Promise.all(importJobs.map((id) => call<JobView>(api, 'GET', `/v1/jobs/${id}`))),
            rowsInHand(api),
            world.stats(),
          ]);
          importDone = views.reduce((a, v) => a + v.counts.total - v.counts.pending - v.counts.running, 0);
          importFinished = importJobs.length === imports.length && views.every((v) => v.status !== 'running');
          progress.push({ s: (performance.now() - importStart) / 1000, done: importDone, inHand, outbox: stats?.outbox });
        } catch {
          // A slow answer is not the import's end: look again next second.
        }
      }
    })();

    await world.stats(true);
    const forms: Promise<FormLead>[] = [];
    const streamStart = performance.now();
    for (let n = 0; performance.now() - streamStart < FORM_WINDOW_MS && !importFinished; n++) {
      await sleep(Math.max(0, streamStart + n * FORM_EVERY_MS - performance.now()));
      forms.push(sendForm(api, n));
    }
    const streamSeconds = (performance.now() - streamStart) / 1000;
    const loop = await world.stats(true);
    streaming = false;
    await monitor;
    const doneAtStreamEnd = importDone;
    await restOfImport;
    const results = await Promise.all(forms);
    const log = await world.log();
    const arrivals = arrivalsOf(log);
    const after = await world.stats();

    const e2e = results.map((f) => f.e2e);
    const qualified = results.filter((f) => f.run?.values['lead.qualified'] === true);
    const notQualified = results.filter((f) => f.complete && f.run?.values['lead.qualified'] !== true);
    const incomplete = results.filter((f) => !f.complete);
    out(
      `  import: ${importJobs.length} POSTs of ${num(IMPORT_BATCH)} (${importPosts.map((x) => `${(x / 1000).toFixed(1)} s`).join(', ')}); ` +
        `${num(doneAtStreamEnd)} of ${num(IMPORT_LEADS)} leads complete when the stream ended` +
        `${importFinished ? ' (the import was done)' : ''}; ${progress
          .filter((_, i) => i % 5 === 4)
          .map((p) => `${p.s.toFixed(0)} s: ${num(p.done)}`)
          .join(', ')}`,
    );
    const every5 = progress.filter((_, i) => i % 5 === 4);
    out(`  rows in the runner's hands (cap ${num(MAX_INFLIGHT_ROWS)}), every 5 s: ${every5.map((p) => num(p.inHand ?? Number.NaN)).join(', ')}`);
    for (const target of ['hubspot', 'deliver-webhook', 'slack']) {
      out(`  effects queued for ${target}, every 5 s: ${every5.map((p) => num(p.outbox?.[target] ?? 0)).join(', ')}`);
    }
    out(
      `  form leads: ${results.length} sent over ${streamSeconds.toFixed(1)} s, one every ${FORM_EVERY_MS} ms; ${qualified.length} qualified; ` +
        `${incomplete.length} not complete within ${FORM_CAP_MS / 1000} s${results.some((f) => f.error) ? `; errors: ${results.filter((f) => f.error).length} (${results.find((f) => f.error)!.error})` : ''}`,
    );
    out(
      `  503 storage_busy answers (sent again after their Retry-After) and reads sent again after a network error: ${busyAnswers()}${importError ? `; the import's POSTs stopped: ${importError}` : ''}`,
    );
    out(
      `  at the fakes by the end: paid enrichment calls during the import ${num(log.providerCalls - warmed.providerCalls)}, model ${num(log.llm.requests.length)} requests (${num(log.llm.requests.length - arrivals.llm.size)} for a lead asked before), ` +
        `HubSpot ${num(log.hubspot.upserts.length)} contacts in ${num(log.hubspot.statuses[200] ?? 0)} requests (429s: ${log.hubspot.statuses[429] ?? 0}), ` +
        `webhook ${num(log.webhook.deliveries.length)}, Slack ${num(log.slack.messages.length)} messages naming ${num(arrivals.slack.size)} leads (429s: ${log.slack.statuses[429] ?? 0})`,
    );
    if (loop) {
      out(
        `  engine event loop during the stream: p50 ${ms(loop.loop.p50Ms)} ms, p99 ${ms(loop.loop.p99Ms)} ms, max ${ms(loop.loop.maxMs)} ms; ` +
          `waiting at the gates at its end: ${JSON.stringify(loop.waiting)}`,
      );
      out(
        `  engine GC during the stream: ${num(loop.gc.count)} collections, ${num(loop.gc.totalMs)} ms in all, the longest ${ms(loop.gc.maxMs)} ms; ` +
          `peak heap used ${num(loop.gc.peakHeapUsedMB)} MB`,
      );
    }
    out(`  machine at the end of the stream: ${machine()}`);
    const errors = Object.entries(after?.logged ?? {}).filter(([m]) => /error|busy/i.test(m));
    if (errors.length > 0) out(`  engine logged: ${errors.map(([m, c]) => `${m} ×${c}`).join(', ')}`);

    const p95 = quantile(e2e, 0.95);
    figure('form lead POST → run complete, p50', `${ms(quantile(e2e, 0.5))} ms`);
    figure('form lead POST → run complete, p95', `${ms(p95)} ms${incomplete.length ? ' (a lower bound)' : ''}`, `<= ${FORM_TARGET_P95_MS} ms`);
    figure('form lead POST → run complete, max', `${ms(Math.max(...e2e))} ms`);
    figure('  qualified (model, deliver, Slack) p50 / p95', `${ms(e2eAt(qualified, 0.5))} / ${ms(e2eAt(qualified, 0.95))} ms, n ${qualified.length}`);
    figure('  not qualified (deliver only) p50 / p95', `${ms(e2eAt(notQualified, 0.5))} / ${ms(e2eAt(notQualified, 0.95))} ms, n ${notQualified.length}`);

    // Where the time went, from each form lead's journal and the fakes' arrival times.
    const parts = results.flatMap((f) => {
      const got = f.complete && f.run ? partsOf(f.run, f.postAt, f.postDoneAt ?? f.postAt, f.email, f.token, arrivals) : undefined;
      return got ? [{ f, p: got }] : [];
    });
    out(`  Where a complete form lead's time went (${parts.length} leads; steps' own times, the model's ${LLM_LATENCY_MS} ms out):`);
    const p = parts.map((x) => x.p);
    printRows(
      [
        { label: 'POST answered', xs: p.map((x) => x.post), note: 'intake' },
        { label: 'POST sent → first step', xs: p.map((x) => x.claim), note: 'the POST, then the runner claims the row' },
        ...stepRows(p),
        ...effectRows(p),
        { label: 'between steps', xs: p.map((x) => x.between), note: 'Σ of checkpoint commits, retries' },
        { label: '  one checkpoint commit', xs: p.flatMap((x) => x.gaps), note: 'the gap between two steps' },
        { label: 'model (configured latency)', xs: p.filter((x) => x.asked).map((x) => x.external) },
        {
          label: 'last step end → seen complete',
          xs: parts.map((x) => x.f.postAt + x.f.e2e - x.p.lastEnd),
          note: `completion commit, a poll (every ${POLL_MS} ms)`,
        },
      ],
      true,
    );
    return {
      n: results.length,
      p50: quantile(e2e, 0.5),
      p95,
      max: Math.max(...e2e),
      incomplete: incomplete.length,
      qualified: { n: qualified.length, p95: e2eAt(qualified, 0.95) },
      notQualified: { n: notQualified.length, p95: e2eAt(notQualified, 0.95) },
      importDoneAtStreamEnd: doneAtStreamEnd,
      parts: {
        'POST answered': pq(p.map((x) => x.post)),
        'POST sent → first step': pq(p.map((x) => x.claim)),
        'one checkpoint commit': pq(p.flatMap((x) => x.gaps)),
        'between steps': pq(p.map((x) => x.between)),
      },
    };
  } finally {
    await world.close();
  }
}

// ---------------------------------------------------------------- the part

export interface PipelineRun {
  overhead?: OverheadResult;
  form?: FormResult;
  failures: string[];
}

export async function runPipelineScenario(parts: { overhead: boolean; form: boolean }): Promise<PipelineRun> {
  const run: PipelineRun = { failures: [] };
  if (parts.overhead) {
    try {
      run.overhead = await runOverhead();
    } catch (err) {
      run.failures.push(`pipeline overhead: ${(err as Error).message}`);
      out(`  FAILED: ${(err as Error).stack ?? err}`);
    }
  }
  if (parts.form) {
    try {
      run.form = await runFormDuringImport();
    } catch (err) {
      run.failures.push(`pipeline form leads during an import: ${(err as Error).message}`);
      out(`  FAILED: ${(err as Error).stack ?? err}`);
    }
  }
  return run;
}

export function reportPipeline(run: PipelineRun): void {
  out('  Lead pipeline (one run; figures from the runs above)');
  if (run.overhead) {
    const o = run.overhead;
    for (const [step, s] of Object.entries(o.steps)) if (s.n > 0) figure(`  ${step} p50 / p95 ms`, `${ms(s.p50)} / ${ms(s.p95)} (n ${num(s.n)})`);
    figure('  all steps of a lead p50 / p95 ms', `${ms(o.stepsTotal.p50)} / ${ms(o.stepsTotal.p95)}`);
    figure('  one checkpoint commit p50 / p95 ms', `${ms(o.commit.p50)} / ${ms(o.commit.p95)}`);
    figure('  POST → last step, less the model, p50 / p95 ms', `${ms(o.total.p50)} / ${ms(o.total.p95)}`);
  }
  if (run.form) {
    const f = run.form;
    figure(
      '  form lead e2e during import p50 / p95 / max ms',
      `${ms(f.p50)} / ${ms(f.p95)}${f.incomplete ? ` (≥; ${f.incomplete} not complete in ${FORM_CAP_MS / 1000} s)` : ''} / ${ms(f.max)}, n ${f.n}`,
      `p95 <= ${FORM_TARGET_P95_MS}`,
    );
    figure('  qualified / not qualified p95 ms', `${ms(f.qualified.p95)} (n ${f.qualified.n}) / ${ms(f.notQualified.p95)} (n ${f.notQualified.n})`);
    for (const [part, x] of Object.entries(f.parts)) figure(`  form lead: ${part} p50 / p95 ms`, `${ms(x.p50)} / ${ms(x.p95)}`);
  }
}
