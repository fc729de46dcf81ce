import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSheetsServer, type SheetsServer } from '../google/sheets/index.js';
import { startSimServer, type SimServer } from '../../api/demo/simServer.js';
import { openDatabase } from '../../api/storage/db.js';
import { keysStore } from '../../api/storage/keys.js';
import { FAST_ENGINE, simProviders, type TestProvider } from '../helpers/harness.js';
import { spawnServer, type Spawned } from '../helpers/spawnServer.js';
import { FUZZ_SHEET, FUZZ_SPREADSHEET, FUZZ_TOKEN } from './requests.js';

/** Workspace a's key (the bootstrap key of workspace "default") and workspace b's, made before each boot on a new database. */
export const KEY_A = 'csk_fuzz_workspace_a_0123456789';
export const KEY_B = 'csk_fuzz_workspace_b_0123456789';

/** One provider per input kind, so every input field a row may carry reaches a provider request (and its URL encoding). */
const PROVIDERS: (TestProvider & { url: string })[] = [
  { id: 'p-domain', input: 'domain', fields: ['company.name', 'company.employees', 'company.industry'], costPerCall: 0.001, url: 'q={{domain}}' },
  { id: 'p-email', input: 'email', fields: ['person.fullName', 'person.title'], costPerMatch: 0.01, url: 'q={{email}}' },
  {
    id: 'p-name',
    input: 'name',
    fields: ['person.email', 'person.title'],
    costPerCall: 0.002,
    url: 'q={{fullName}}&f={{firstName}}&l={{lastName}}&d={{domain}}',
  },
  { id: 'p-company', input: 'company', fields: ['company.domain', 'company.country'], costPerCall: 0.001, url: 'q={{company}}' },
  { id: 'p-linkedin', input: 'linkedinUrl', fields: ['person.location', 'person.title'], costPerMatch: 0.02, url: 'q={{linkedinUrl}}' },
];

function config(simUrl: string) {
  return {
    providers: PROVIDERS.map((p) => ({
      id: p.id,
      kind: 'http',
      input: p.input,
      fields: p.fields,
      request: { method: 'GET', url: `${simUrl}/${p.id}?${p.url}` },
      response: { map: Object.fromEntries(p.fields.map((f) => [f, `/data/${f}`])) },
      costPerCall: p.costPerCall ?? 0,
      costPerMatch: p.costPerMatch ?? 0,
      timeoutMs: 2000,
    })),
    engine: FAST_ENGINE,
  };
}

/**
 * The server under test: `api/main.ts` in a process of its own (so a native
 * panic or abort is a death we see, not a crash of the test runner), on a
 * libSQL file, with simulated providers and the local Sheets API in this
 * process on 127.0.0.1. Nothing here talks to anything but 127.0.0.1.
 */
export class FuzzTarget {
  private server: Spawned | undefined;
  private dbDir: string | undefined;
  private readonly dirs: string[] = [];
  /** Exits we did not ask for, with how the process ended and the end of its output. */
  readonly deaths: { at: string; how: string; output: string }[] = [];
  private stopping = false;

  private constructor(
    readonly sim: SimServer,
    readonly sheets: SheetsServer,
    private readonly configPath: string,
  ) {}

  static async start(): Promise<FuzzTarget> {
    const sim = await startSimServer(
      simProviders(PROVIDERS).map((p) => ({ ...p, behaviour: { ...p.behaviour, matchRate: { '*': 0.7 }, latency: { medianMs: 3, sigma: 0.3 } } })),
    );
    const sheets = await startSheetsServer();
    sheets.model.create(FUZZ_SPREADSHEET, [{ title: FUZZ_SHEET, values: [['Domain', 'Company']] }, { title: 'Leads' }]);
    sheets.auth.grant(FUZZ_TOKEN, 'fuzz.user@example.com');
    const dir = mkdtempSync(join(tmpdir(), 'cascade-fuzz-config-'));
    const configPath = join(dir, 'cascade.json');
    writeFileSync(configPath, JSON.stringify(config(sim.url)));
    const t = new FuzzTarget(sim, sheets, configPath);
    t.dirs.push(dir);
    return t;
  }

  get url(): string {
    if (!this.server) throw new Error('fuzz target: not started');
    return this.server.url;
  }

  get databaseDir(): string | undefined {
    return this.dbDir;
  }

  /** Whether the server process is running (not exited, not killed by a signal). */
  alive(): boolean {
    const c = this.server?.child;
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  /** The end of the server's output: a panic's message when it died. */
  outputTail(chars = 3000): string {
    const out = this.server?.output() ?? '';
    return out.length > chars ? `…${out.slice(-chars)}` : out;
  }

  /** Waits (bounded: 100 × 20 ms) for an exit that a dropped connection suggests; true if the process is gone. */
  async settleDeath(): Promise<boolean> {
    for (let i = 0; i < 100 && this.alive(); i++) await new Promise((r) => setTimeout(r, 20));
    return !this.alive();
  }

  /** Starts the server: on a new database (`fresh`), or again on the current one, as a deploy does. */
  async boot({ fresh }: { fresh: boolean }): Promise<void> {
    await this.stop();
    if (fresh || !this.dbDir) {
      this.dbDir = mkdtempSync(join(tmpdir(), 'cascade-fuzz-db-'));
      this.dirs.push(this.dbDir);
      const database = await openDatabase(this.dbUrl());
      await keysStore(database.db).create('ws-b', Date.now(), KEY_B);
      await database.close();
    }
    const server = await spawnServer({
      CASCADE_CONFIG: this.configPath,
      CASCADE_DB: this.dbUrl(),
      CASCADE_BOOTSTRAP_KEY: KEY_A,
      CASCADE_SHEETS_URL: this.sheets.url,
      CASCADE_SHEETS_DASHBOARD_MS: '500',
    });
    this.server = server;
    server.child.on('exit', (code, signal) => {
      if (this.stopping && this.server === server) return;
      this.deaths.push({ at: new Date().toISOString(), how: signal ? `killed by ${signal}` : `exited with ${code}`, output: server.output().slice(-3000) });
    });
  }

  private dbUrl() {
    return `file:${join(this.dbDir!, 'cascade.db')}`;
  }

  /**
   * Stops the server as `npm stop` would (SIGTERM), waiting at most 20 s, then
   * SIGKILL. Returns how it ended, or undefined if it was not running.
   */
  async stop(): Promise<string | undefined> {
    const s = this.server;
    if (!s || !this.alive()) return undefined;
    this.stopping = true;
    try {
      const exited = new Promise<string>((resolve) => s.child.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exited with ${code}`)));
      s.child.kill('SIGTERM');
      const timer = setTimeout(() => s.child.kill('SIGKILL'), 20_000);
      const how = await exited;
      clearTimeout(timer);
      return how;
    } finally {
      this.stopping = false;
    }
  }

  /** Forgets the current database (a shrink attempt's), removing its files; the next boot makes a new one. */
  async discardDatabase(): Promise<void> {
    await this.stop();
    if (this.dbDir) rmSync(this.dbDir, { recursive: true, force: true });
    this.dbDir = undefined;
  }

  /** Switches to a database kept from before (the main run's, for the restart check), or to none (the next boot makes one). */
  useDatabase(dir: string | undefined) {
    this.dbDir = dir;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.sim.close();
    await this.sheets.close();
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}
