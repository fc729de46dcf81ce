import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../api/config/load.js';
import { startSheetsServer, type SheetsServer, type SheetsServerOptions } from '../google/sheets/index.js';
import { startSimServer, type SimServer } from '../../api/demo/simServer.js';
import { startCascade, type Cascade } from '../../api/server.js';
import type { SheetsOptions } from '../../api/sheets/options.js';
import { keysStore } from '../../api/storage/keys.js';
import { rawConfig, simProviders, type TestProvider } from '../helpers/harness.js';

/** Write-back settings for tests: a short quota window and quick flushes, so quotas bind and rows land within a test. */
export const FAST_SHEETS: Partial<SheetsOptions> = {
  pollMs: 100,
  maxDelayMs: 100,
  minRowsPerRequest: 50,
  dashboardEveryMs: 200,
  backoffMs: [50, 400],
  requestTimeoutMs: 10_000,
};

export interface SheetsHarness {
  cascade: Cascade;
  sheets: SheetsServer;
  sim: SimServer;
  key: string;
  api<T = any>(path: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: T }>;
  /** Polls until the job stopped running and its write-back is `done` (or `until` holds), for at most `timeoutMs`. */
  waitForSheet(id: string, until?: (view: any) => boolean, timeoutMs?: number): Promise<any>;
  /** Stops the API (not Google, not the providers) and starts it again on the same database, as a deploy does. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface SheetsHarnessOptions {
  providers: TestProvider[];
  sheets?: Partial<SheetsOptions>;
  server?: SheetsServerOptions;
  /** Replaces the providers' config (e.g. a provider on a test's own server). */
  config?: (simUrl: string) => unknown;
  /** The environment the config's `${env:…}` references read (a lead pipeline's CRM token, webhook secret). */
  env?: Record<string, string>;
}

export async function startSheetsHarness(opts: SheetsHarnessOptions): Promise<SheetsHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'cascade-sheets-'));
  const sim = await startSimServer(simProviders(opts.providers));
  const sheets = await startSheetsServer(opts.server);
  const raw = opts.config ? opts.config(sim.url) : rawConfig(sim.url, opts.providers);
  const boot = () =>
    startCascade({
      config: parseConfig(raw, opts.env ?? {}),
      dbUrl: `file:${join(dir, 'cascade.db')}`,
      port: 0,
      host: '127.0.0.1',
      log: () => {},
      sheets: { ...FAST_SHEETS, ...opts.sheets, rootUrl: sheets.url },
    });
  let cascade = await boot();
  const key = await keysStore(cascade.database.db).create('ws-sheets', Date.now());
  const h: SheetsHarness = {
    get cascade() {
      return cascade;
    },
    sheets,
    sim,
    key,
    async api(path, init = {}) {
      const res = await fetch(`${cascade.url}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: { authorization: `Bearer ${key}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async waitForSheet(id, until = (v) => v.status !== 'running' && v.sheet?.state === 'done', timeoutMs = 50_000) {
      let view: any;
      for (let i = 0; i < timeoutMs / 100; i++) {
        view = (await h.api(`/v1/jobs/${id}`)).body;
        if (until(view)) return view;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`job ${id}: write-back not settled after ${timeoutMs / 1000} s: ${JSON.stringify(view)}`);
    },
    async restart() {
      await cascade.stop();
      cascade = await boot();
    },
    async stop() {
      await cascade.stop();
      await sheets.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** A tab of leads: a header, then one domain per row from row 2. */
export const leadsTab = (domains: string[], header = ['Domain']) => [header, ...domains.map((d) => [d])];

/** Rows keyed by their sheet row number, as the add-on sends them. */
export const sheetRows = (domains: string[]) => domains.map((d, i) => ({ key: String(i + 2), input: { domain: d } }));
