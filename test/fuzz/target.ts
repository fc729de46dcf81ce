import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSheetsServer, type SheetsServer } from '../google/sheets/index.js';
import { startSimServer, type SimServer } from '../../api/demo/simServer.js';
import { openDatabase } from '../../api/storage/db.js';
import { keysStore } from '../../api/storage/keys.js';
import { startFakeHubSpot, type FakeHubSpot } from '../fakes/hubspot.js';
import { qualifyByScore, startFakeLlm, type ChatMessage, type FakeLlm, type LlmMode } from '../fakes/llm.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhookReceiver.js';
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

/** Workspace a's id: the one with a lead pipeline. Workspace b ("ws-b") has none, so its lead requests meet pipeline_not_configured. */
export const PIPELINE_WORKSPACE = 'default';

const OWNERS = [
  { name: 'Ada', email: 'ada@cascade.example', slackId: 'U0ADA' },
  { name: 'Grace', email: 'grace@cascade.example', slackId: 'U0GRACE' },
  { name: 'Linus', slackId: 'U0LINUS' },
];

const WEBHOOK_SECRET = 'whsec_dGVzdC1zaWduaW5nLWtleQ==';
/** OAuth tokens are sealed in the database under this key, as a cluster runs; the same at every boot, so a restart opens them. */
const TOKEN_KEY = Buffer.alloc(32, 7).toString('base64');

/** The fakes of the pipeline's external services (test/fakes), on 127.0.0.1. */
interface PipelineFakes {
  llm: FakeLlm & { down: boolean };
  hubspot: FakeHubSpot;
  slack: FakeSlack;
  receiver: WebhookReceiver;
}

/** The environment the pipeline config's `${env:…}` references read. */
function pipelineEnv(f: PipelineFakes): Record<string, string> {
  return {
    HUBSPOT_TOKEN: 'pat-fuzz-token',
    SLACK_WEBHOOK_URL: `${f.slack.url}/services/T000/B000/FUZZ`,
    LEADS_WEBHOOK_URL: `${f.receiver.url}/leads`,
    LEADS_NOTIFY_URL: `${f.receiver.url}/notify`,
    LEADS_WEBHOOK_SECRET: WEBHOOK_SECRET,
  };
}

/**
 * Workspace a's lead pipeline: every step configured (score, qualify, route, deliver to HubSpot and a webhook,
 * notify on Slack and a webhook), with rules over the fields the simulated providers supply, over `company.techStack`
 * (which only a lead's `data` can carry) and over the score, so what a fuzzed lead carries reaches every step.
 */
function pipeline(f: PipelineFakes) {
  return {
    dedupDays: 30,
    fields: ['company.name', 'company.employees', 'company.industry', 'person.title'],
    realtimeSources: ['form', 'web'],
    score: {
      rules: [
        { name: 'known company', points: 30, if: { field: 'company.name', present: true } },
        { name: 'mid-market', points: 30, if: { field: 'company.employees', between: [200, null] } },
        { name: 'tiny', points: -20, if: { field: 'company.employees', between: [null, 10] } },
        { name: 'industry', points: 20, if: { field: 'company.industry', in: ['Software', 'SaaS', 'Fintech', 42] } },
        { name: 'stack', points: 15, if: { field: 'company.techStack', contains: 'react' } },
        { name: 'no title', points: -10, if: { field: 'person.title', present: false } },
        { name: 'eu', points: 5, if: { field: 'company.country', in: ['DE', 'FR', 'GB'] } },
      ],
    },
    qualify: { provider: 'llm', minScore: 30, promptVersion: 'fuzz1', instructions: 'Companies of 200 people or more that build software.' },
    route: {
      rules: [
        { name: 'ae-team', if: [{ field: 'score', between: [60, null] }], owners: OWNERS },
        { name: 'eu desk', if: [{ field: 'company.country', in: ['DE', 'FR'] }], owners: [{ name: 'EU queue' }], priority: 'medium' },
        { name: 'nurture', owners: [{ name: 'Nurture queue' }] },
      ],
    },
    deliver: {
      hubspot: {
        token: '${env:HUBSPOT_TOKEN}',
        baseUrl: f.hubspot.url,
        traceProperty: 'cascade_write_id',
        properties: { company: 'company.name', jobtitle: 'person.title', icp_score: 'lead.score', lead_owner: 'lead.owner', lead_reason: 'lead.reason' },
        timeoutMs: 2000,
      },
      webhook: { url: '${env:LEADS_WEBHOOK_URL}', secret: '${env:LEADS_WEBHOOK_SECRET}', timeoutMs: 2000 },
    },
    notify: {
      slack: { webhookUrl: '${env:SLACK_WEBHOOK_URL}', perSecond: 10, digestMax: 20, timeoutMs: 2000 },
      webhook: { url: '${env:LEADS_NOTIFY_URL}', secret: '${env:LEADS_WEBHOOK_SECRET}', timeoutMs: 2000 },
    },
  };
}

/** A cheap, stable hash of a request's text: the failures it draws are the same on every run of a seed. */
const hashOf = (s: string) => {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
};
const lastUser = (messages: ChatMessage[]) => {
  const c = messages.findLast((m) => m.role === 'user')?.content;
  return typeof c === 'string' ? c : (c ?? []).map((p) => p.text ?? '').join('\n');
};

/**
 * The model: a qualifier's verdict by score (`qualifyByScore`), or for the `llm` provider's predictions (asked with
 * "Fields wanted:") a value for each field wanted. Some requests fail as a model does: every 13th a 500 and every 17th
 * a 429 (transient: a retry goes through); by the prompt's hash, one in 15 malformed and one in 25 a refusal (the same
 * prompt fails the same way again, so the lead's qualify step fails for good and replay has runs to resume).
 */
async function startModel(): Promise<FakeLlm & { down: boolean }> {
  const llm = await startFakeLlm({
    answer: (messages) => {
      const text = lastUser(messages);
      const wanted = text.split('Fields wanted:\n')[1];
      if (wanted === undefined) return qualifyByScore(messages);
      const fields = wanted.split('\n').map((l) => l.split(' (')[0]!.trim());
      return JSON.stringify({
        fields: Object.fromEntries(fields.filter(Boolean).map((f, i) => [f, { value: i % 3 ? `predicted ${f}` : null, confidence: 0.8 }])),
      });
    },
  });
  let n = 0;
  const model = Object.assign(llm, { down: false });
  llm.mode((body: { messages?: ChatMessage[] }): LlmMode => {
    n++;
    if (model.down) return 'error';
    if (n % 13 === 0) return 'error';
    if (n % 17 === 0) return 'rate_limited';
    const h = hashOf(Array.isArray(body.messages) ? lastUser(body.messages) : '');
    if (h % 15 === 0) return 'malformed';
    if (h % 25 === 1) return 'refusal';
    return 'ok';
  });
  return model;
}

/** Which external service of the pipeline is down (answers every request with a 5xx) during a batch. */
export type Outage = 'none' | 'model' | 'hubspot' | 'webhook' | 'slack';

function config(simUrl: string, fakes: PipelineFakes) {
  const http = PROVIDERS.map((p) => ({
    id: p.id,
    kind: 'http',
    input: p.input,
    fields: p.fields,
    request: { method: 'GET', url: `${simUrl}/${p.id}?${p.url}` },
    response: { map: Object.fromEntries(p.fields.map((f) => [f, `/data/${f}`])) },
    costPerCall: p.costPerCall ?? 0,
    costPerMatch: p.costPerMatch ?? 0,
    timeoutMs: 2000,
  }));
  // The qualifier's model; also a predictive provider for jobs that ask to predict.
  const llm = {
    id: 'llm',
    kind: 'llm',
    baseUrl: fakes.llm.baseUrl,
    model: 'fuzz-model',
    input: 'domain',
    fields: ['company.description', 'company.industry'],
    costPerCall: 0.002,
    concurrency: 8,
    timeoutMs: 2000,
  };
  return { providers: [...http, llm], engine: FAST_ENGINE, pipelines: { [PIPELINE_WORKSPACE]: pipeline(fakes) } };
}

/**
 * The server under test: `api/main.ts` in a process of its own (so a native
 * panic or abort is a death we see, not a crash of the test runner), on a
 * libSQL file, with simulated providers, the local Sheets API and the lead
 * pipeline's fakes (model, HubSpot, Slack, webhook receiver) in this process
 * on 127.0.0.1. Nothing here talks to anything but 127.0.0.1.
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
    /** The lead pipeline's model, CRM, chat and webhook receiver. */
    readonly fakes: PipelineFakes,
    private readonly configPath: string,
  ) {}

  static async start(): Promise<FuzzTarget> {
    const sim = await startSimServer(
      simProviders(PROVIDERS).map((p) => ({ ...p, behaviour: { ...p.behaviour, matchRate: { '*': 0.7 }, latency: { medianMs: 3, sigma: 0.3 } } })),
    );
    const sheets = await startSheetsServer();
    sheets.model.create(FUZZ_SPREADSHEET, [{ title: FUZZ_SHEET, values: [['Domain', 'Company']] }, { title: 'Leads' }]);
    sheets.auth.grant(FUZZ_TOKEN, 'fuzz.user@example.com');
    const fakes: PipelineFakes = {
      llm: await startModel(),
      hubspot: await startFakeHubSpot({ token: 'pat-fuzz-token' }),
      // A short burst, then 10 a second: notifications meet Slack's 429 and Retry-After now and then.
      slack: await startFakeSlack({ burst: 5, perSecond: 10 }),
      receiver: await startWebhookReceiver({ secret: WEBHOOK_SECRET }),
    };
    const dir = mkdtempSync(join(tmpdir(), 'cascade-fuzz-config-'));
    const configPath = join(dir, 'cascade.json');
    writeFileSync(configPath, JSON.stringify(config(sim.url, fakes)));
    const t = new FuzzTarget(sim, sheets, fakes, configPath);
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
      CASCADE_TOKEN_KEY: TOKEN_KEY,
      // Takes members' wakes (POST /internal/wake), and advertises where, as a member of a cluster does.
      CASCADE_CLUSTER_URL: 'auto',
      ...pipelineEnv(this.fakes),
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

  /** Takes one of the pipeline's services down (a 5xx to every request), or none: each step's retries, failures and replays. */
  setOutage(o: Outage) {
    this.fakes.llm.down = o === 'model';
    this.fakes.hubspot.outage(o === 'hubspot' ? 500 : null);
    this.fakes.receiver.outage(o === 'webhook' ? 503 : null);
    this.fakes.slack.outage(o === 'slack' ? 500 : null);
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
    await Promise.all(Object.values(this.fakes).map((f) => f.close()));
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}
