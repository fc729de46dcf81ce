import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIMITS, type JobView } from '../../shared/index.js';
import { FIELDS, simProviders, type BenchProvider } from './benchConfig.js';
import { startCascadeProcess, type CascadeProcess } from './cascadeClient.js';
import { startRemoteSim, type RemoteSim } from './sim.js';

export type { BenchProvider } from './benchConfig.js';

export interface Row {
  key: string;
  input: { domain: string };
}

export interface Submitted {
  id: string;
  /** Taken just before the first POST. */
  postedAt: number;
}

export interface JobOutcome {
  view: JobView;
  finished: boolean;
  /** From the first POST to the job's own finishedAt (so the polling interval does not count), or to the give-up time. */
  seconds: number;
  /** Rows no longer pending or running. */
  rowsDone: number;
}

export interface WaitOptions {
  pollMs?: number;
  /** Give up after this long, counted from the job's first POST. */
  timeoutMs: number;
  /** Extra time granted once when, at the time limit, 95% of the rows are done: a near miss still gets its figures. */
  graceMs?: number;
}

export interface Bench {
  engine: CascadeProcess;
  sim: RemoteSim;
  /** Submits rows as one job (first request plus appends); returns when every row is accepted. */
  submit(rows: Row[]): Promise<Submitted>;
  /** Polls the job until it is done or the time limit has passed, whichever comes first. */
  wait(job: Submitted, opts: WaitOptions): Promise<JobOutcome>;
  /** Keys of the job's rows that are finished (neither pending nor running), from the results API. */
  finishedKeys(id: string): Promise<Set<string>>;
  /** GETs that failed at the network level and were sent again (see api()). */
  readonly clientRetries: number;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const POST_TIMEOUT_MS = 60_000;
const GET_ATTEMPTS = 5;
const FIRST_GET_TIMEOUT_MS = 60_000;

/**
 * Starts the sim providers and Cascade, each in a child process, on a fresh
 * database in a temp dir of ours (removed by stop()), with one API key; this
 * process is the API client.
 */
export async function startBench(providers: BenchProvider[]): Promise<Bench> {
  const dir = mkdtempSync(join(tmpdir(), 'cascade-bench-'));
  let sim: RemoteSim | undefined;
  let engine: CascadeProcess;
  try {
    sim = await startRemoteSim(simProviders(providers));
    engine = await startCascadeProcess(providers, sim.url, dir);
  } catch (err) {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const theSim = sim;
  let clientRetries = 0;

  /**
   * One API request. A GET that fails at the network level is sent again (it
   * is idempotent): a server whose event loop stalls past its keep-alive
   * timeout may close a pooled connection the client has just reused. POSTs
   * are not retried: a retried append cannot be told from a duplicate.
   */
  async function api<T>(path: string, body?: unknown, timeoutMs = POST_TIMEOUT_MS): Promise<T> {
    const method = body === undefined ? 'GET' : 'POST';
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${engine.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${engine.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        const timedOut = (err as Error).name === 'TimeoutError';
        if (method === 'GET' && !timedOut && attempt < GET_ATTEMPTS) {
          clientRetries++;
          await sleep(50 * attempt);
          continue;
        }
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new Error(`${method} ${path}: ${(err as Error).message}${cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})` : ''}`);
      }
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
      return JSON.parse(text) as T;
    }
  }

  const outcome = (job: Submitted, view: JobView, now: number): JobOutcome => {
    const finished = view.status !== 'running';
    const end = finished && view.finishedAt ? Date.parse(view.finishedAt) : now;
    const rowsDone = view.counts.total - view.counts.pending - view.counts.running;
    return { view, finished, seconds: (end - job.postedAt) / 1000, rowsDone };
  };

  return {
    engine,
    sim: theSim,
    async submit(rows) {
      const postedAt = Date.now();
      const first = rows.slice(0, LIMITS.rowsPerRequest);
      const { id } = await api<{ id: string }>('/v1/jobs', { fields: FIELDS, rows: first });
      for (let i = first.length; i < rows.length; i += LIMITS.rowsPerRequest) {
        await api(`/v1/jobs/${id}/rows`, { rows: rows.slice(i, i + LIMITS.rowsPerRequest) });
      }
      return { id, postedAt };
    },
    async wait(job, { pollMs = 50, timeoutMs, graceMs = 0 }) {
      let deadline = job.postedAt + timeoutMs;
      let last: JobView | undefined;
      for (;;) {
        const left = deadline - Date.now();
        try {
          // A stalled engine must not hold this loop past its deadline, yet the first answer is needed whatever it takes.
          last = await api<JobView>(`/v1/jobs/${job.id}`, undefined, last ? Math.max(1000, left) : Math.max(FIRST_GET_TIMEOUT_MS, left));
        } catch (err) {
          if (!last || Date.now() < deadline) throw err;
        }
        const o = outcome(job, last, Date.now());
        if (o.finished) return o;
        if (Date.now() >= deadline) {
          if (graceMs > 0 && o.rowsDone >= 0.95 * last.counts.total) {
            deadline += graceMs;
            graceMs = 0;
          } else {
            return o;
          }
        }
        await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
      }
    },
    async finishedKeys(id) {
      const keys = new Set<string>();
      let after = '';
      // Bounded: a page is at most LIMITS.resultsPageMax rows and no job here has a million rows.
      for (let page = 0; page < 200; page++) {
        const res = await api<{ rows: { key: string; status: string }[]; next?: string }>(
          `/v1/jobs/${id}/results?limit=${LIMITS.resultsPageMax}${after ? `&after=${after}` : ''}`,
        );
        for (const r of res.rows) if (r.status !== 'pending' && r.status !== 'running') keys.add(r.key);
        if (!res.next) return keys;
        after = res.next;
      }
      throw new Error(`job ${id} has more result pages than expected`);
    },
    get clientRetries() {
      return clientRetries;
    },
    async stop() {
      try {
        await engine.stop();
      } finally {
        await theSim.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Distinct domains `lead{i}.{tld}` with TLDs drawn by weight from a seeded
 * PRNG, so every run submits the same rows.
 */
export function makeRows(n: number, tlds: Record<string, number>, random: () => number, prefix = 'lead'): Row[] {
  const entries = Object.entries(tlds);
  const total = entries.reduce((a, [, w]) => a + w, 0);
  return Array.from({ length: n }, (_, i) => {
    let x = random() * total;
    let tld = entries[entries.length - 1]![0];
    for (const [t, w] of entries) {
      if ((x -= w) < 0) {
        tld = t;
        break;
      }
    }
    return { key: String(i), input: { domain: `${prefix}${i}.${tld}` } };
  });
}
