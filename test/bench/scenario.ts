import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../api/config/load.js';
import type { SimBehaviour, SimProvider } from '../../api/demo/simServer.js';
import { startCascade, type Cascade } from '../../api/server.js';
import { createApiKey } from '../../api/storage/keys/createApiKey.js';
import { LIMITS, type Field, type JobView } from '../../shared/index.js';
import { startRemoteSim, type RemoteSim } from './sim.js';

export const FIELDS: Field[] = ['company.name'];

/** A simulated provider together with what the engine is told about it: its price and its documented limits. */
export interface BenchProvider {
  id: string;
  behaviour: SimBehaviour & { concurrency: number; ratePerSecond: number };
  costPerCall: number;
  costPerMatch: number;
}

export interface Row {
  key: string;
  input: { domain: string };
}

export interface Bench {
  cascade: Cascade;
  sim: RemoteSim;
  providers: BenchProvider[];
  /** Submits rows as one job (first request plus appends); returns when every row is accepted. */
  submit(rows: Row[]): Promise<{ id: string; postedAt: number }>;
  /** Polls the job until it is done; throws after `timeoutMs`. */
  waitDone(id: string, opts?: { pollMs?: number; timeoutMs?: number }): Promise<JobView>;
  stop(): Promise<void>;
}

/** The configuration file a user would write for these providers, with their documented limits. */
export function rawConfig(simUrl: string, providers: BenchProvider[]) {
  return {
    providers: providers.map((p) => ({
      id: p.id,
      kind: 'http',
      input: 'domain',
      fields: FIELDS,
      request: { method: 'GET', url: `${simUrl}/${p.id}?q={{domain}}` },
      response: { map: Object.fromEntries(FIELDS.map((f) => [f, `/data/${f}`])) },
      costPerCall: p.costPerCall,
      costPerMatch: p.costPerMatch,
      concurrency: p.behaviour.concurrency,
      ratePerSecond: p.behaviour.ratePerSecond,
      timeoutMs: 5000,
    })),
  };
}

export const simProviders = (providers: BenchProvider[]): SimProvider[] => providers.map((p) => ({ id: p.id, fields: FIELDS, behaviour: p.behaviour }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the sim providers (in a child process) and a Cascade on a fresh database, with one API key. */
export async function startBench(providers: BenchProvider[], workspace = 'bench'): Promise<Bench> {
  const dir = mkdtempSync(join(tmpdir(), 'cascade-bench-'));
  const sim = await startRemoteSim(simProviders(providers));
  let cascade: Cascade;
  try {
    cascade = await startCascade({
      config: parseConfig(rawConfig(sim.url, providers), {}),
      dbUrl: `file:${join(dir, 'bench.db')}`,
      port: 0,
      host: '127.0.0.1',
      log: () => {},
    });
  } catch (err) {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const key = await createApiKey(cascade.database.db, workspace, Date.now());

  async function api<T>(path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${cascade.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${body === undefined ? 'GET' : 'POST'} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  return {
    cascade,
    sim,
    providers,
    async submit(rows) {
      const postedAt = Date.now();
      const first = rows.slice(0, LIMITS.rowsPerRequest);
      const { id } = await api<{ id: string }>('/v1/jobs', { fields: FIELDS, rows: first });
      for (let i = first.length; i < rows.length; i += LIMITS.rowsPerRequest) {
        await api(`/v1/jobs/${id}/rows`, { rows: rows.slice(i, i + LIMITS.rowsPerRequest) });
      }
      return { id, postedAt };
    },
    async waitDone(id, { pollMs = 50, timeoutMs = 180_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = await api<JobView>(`/v1/jobs/${id}`);
        if (job.status !== 'running') return job;
        if (Date.now() > deadline) {
          throw new Error(`job ${id} still running after ${timeoutMs / 1000} s: ${JSON.stringify(job.counts)}`);
        }
        await sleep(pollMs);
      }
    },
    async stop() {
      try {
        await cascade.stop();
      } finally {
        await sim.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Seconds from the first POST to the job's own finishedAt, so the polling interval does not count. */
export function elapsedSeconds(postedAt: number, job: JobView): number {
  if (!job.finishedAt) throw new Error(`job ${job.id} has no finishedAt`);
  return (Date.parse(job.finishedAt) - postedAt) / 1000;
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
