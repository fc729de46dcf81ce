import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Field, InputKind } from '../../shared/index.js';
import { parseConfig } from '../../api/config/load.js';
import { startSimServer, type SimBehaviour, type SimProvider, type SimServer } from '../../api/demo/simServer.js';
import { startCascade, type Cascade, type CascadeOptions } from '../../api/server.js';
import { keysStore } from '../../api/storage/keys.js';
import { expectDocumented } from './openapiConformance.js';

export interface TestProvider {
  id: string;
  fields: Field[];
  input?: InputKind;
  behaviour?: Partial<SimBehaviour>;
  costPerCall?: number;
  costPerMatch?: number;
  /** What the config documents; by default what the sim enforces. */
  concurrency?: number | null;
  ratePerSecond?: number | null;
  timeoutMs?: number;
}

/** Fast engine settings for tests: short backoffs and leases, so retries and recovery happen within a test. */
export const FAST_ENGINE = { retryDelaysMs: [20, 40, 80, 160], leaseMs: 1500, pollMs: 20, maxRetryAfterMs: 2000 };

export function simProviders(list: TestProvider[]): SimProvider[] {
  return list.map((p) => ({
    id: p.id,
    fields: p.fields,
    behaviour: { matchRate: { '*': 1 }, latency: { medianMs: 5, sigma: 0.2 }, ...p.behaviour },
  }));
}

/** A configuration file's content for simulated providers at `url`. */
export function rawConfig(url: string, list: TestProvider[], extra: Record<string, unknown> = {}) {
  return {
    providers: list.map((p) => {
      const input = p.input ?? 'domain';
      const concurrency = p.concurrency === null ? undefined : (p.concurrency ?? p.behaviour?.concurrency);
      const ratePerSecond = p.ratePerSecond === null ? undefined : (p.ratePerSecond ?? p.behaviour?.ratePerSecond);
      return {
        id: p.id,
        kind: 'http',
        input,
        fields: p.fields,
        request: { method: 'GET', url: `${url}/${p.id}?q={{${input}}}` },
        response: { map: Object.fromEntries(p.fields.map((f) => [f, `/data/${f}`])) },
        costPerCall: p.costPerCall ?? 0,
        costPerMatch: p.costPerMatch ?? 0,
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(ratePerSecond !== undefined ? { ratePerSecond } : {}),
        timeoutMs: p.timeoutMs ?? 2000,
      };
    }),
    engine: FAST_ENGINE,
    ...extra,
  };
}

export interface Harness {
  cascade: Cascade;
  sim: SimServer;
  key: string;
  dir: string;
  dbUrl: string;
  api<T = any>(
    path: string,
    init?: { method?: string; body?: unknown; key?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; body: T }>;
  /** Polls the job until it is no longer running (bounded). */
  waitForJob(id: string, key?: string): Promise<any>;
  calls(provider: string): string[];
  /** Stops the API (not the providers) and starts it again on the same database and config, as a deploy does: only what it stored remains. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The real server on a libSQL file in a temp dir, the simulated providers and
 * a key for workspace `ws-test`. `extra` goes into the config; `server` sets
 * the server's log (none by default) and clock.
 */
export async function startHarness(
  list: TestProvider[],
  extra: Record<string, unknown> = {},
  server: Pick<CascadeOptions, 'log' | 'clock'> = { log: () => {} },
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'cascade-test-'));
  const sim = await startSimServer(simProviders(list));
  const dbUrl = `file:${join(dir, 'cascade.db')}`;
  const boot = () =>
    startCascade({
      config: parseConfig(rawConfig(sim.url, list, extra), {}),
      dbUrl,
      port: 0,
      host: '127.0.0.1',
      ...server,
    });
  let cascade = await boot();
  const key = await keysStore(cascade.database.db).create('ws-test', Date.now());
  const api: Harness['api'] = async (path, init = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.key !== null) headers.authorization = `Bearer ${init.key ?? key}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const method = init.method ?? (init.body !== undefined ? 'POST' : 'GET');
    const res = await fetch(`${cascade.url}${path}`, {
      method,
      headers,
      body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    });
    const text = await res.text();
    const body = text ? JSON.parse(text) : undefined;
    // Every answer the suite sees through here is held to the server's OpenAPI document (test/openapiResponses.test.ts).
    await expectDocumented(cascade.url, method, path, res.status, body);
    return { status: res.status, body };
  };
  return {
    get cascade() {
      return cascade;
    },
    sim,
    key,
    dir,
    dbUrl,
    api,
    async waitForJob(id, k) {
      for (let i = 0; i < 3000; i++) {
        const { body } = await api(`/v1/jobs/${id}`, { key: k });
        if (body.status !== 'running') return body;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`job ${id} still running after 60 s`);
    },
    calls: (provider) => sim.requests.filter((r) => r.provider === provider).map((r) => r.q),
    async restart() {
      await cascade.stop();
      cascade = await boot();
    },
    async stop() {
      await cascade.stop();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const domains = (n: number, tld = 'com', prefix = 'lead') => Array.from({ length: n }, (_, i) => `${prefix}${i}.${tld}`);
export const domainRows = (list: string[]) => list.map((d, i) => ({ key: String(i + 2), input: { domain: d } }));

/** All rows of a job, following the cursor. */
export async function allResults(h: Harness, id: string): Promise<any[]> {
  const out: any[] = [];
  let after = '';
  for (let i = 0; i < 1000; i++) {
    const { body } = await h.api(`/v1/jobs/${id}/results?limit=1000${after ? `&after=${after}` : ''}`);
    out.push(...body.rows);
    if (!body.next) return out;
    after = body.next;
  }
  throw new Error('too many pages');
}
