import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../api/config/load.js';
import { startSimServer, type SimServer } from '../../api/demo/simServer.js';
import { startCascade, type Cascade } from '../../api/server.js';
import { keysStore } from '../../api/storage/keys.js';
import { startFakeHubSpot, type FakeHubSpot } from '../fakes/hubspot.js';
import { startFakeLlm, type FakeLlm } from '../fakes/llm.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack.js';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhookReceiver.js';
import { rawConfig, simProviders, type TestProvider } from './harness.js';
import { expectDocumented } from './openapiConformance.js';

/** The lead pipeline's world on 127.0.0.1: a data provider, and fakes of the model, HubSpot, Slack and a webhook receiver. */
export interface PipelineWorld {
  sim: SimServer;
  llm: FakeLlm;
  hubspot: FakeHubSpot;
  slack: FakeSlack;
  receiver: WebhookReceiver;
  /** A configuration file's content: one provider, and a pipeline for every workspace. */
  config(engine?: Record<string, unknown>): Record<string, unknown>;
  /** The environment the configuration's references read. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export const OWNERS = [
  { name: 'Ada', slackId: 'U0ADA' },
  { name: 'Grace', slackId: 'U0GRACE' },
  { name: 'Linus', slackId: 'U0LINUS' },
];

const PROVIDERS: TestProvider[] = [{ id: 'firmo', fields: ['company.name', 'company.employees', 'company.industry'] }];

export async function startPipelineWorld(opts: { llmLatencyMs?: number } = {}): Promise<PipelineWorld> {
  const sim = await startSimServer(simProviders(PROVIDERS));
  const llm = await startFakeLlm({ latencyMs: opts.llmLatencyMs ?? 0 });
  const hubspot = await startFakeHubSpot({ token: 'pat-test-token' });
  const slack = await startFakeSlack({ burst: 3, perSecond: 1 });
  const receiver = await startWebhookReceiver({ secret: 'whsec_dGVzdC1zaWduaW5nLWtleQ==' });
  const env = {
    HUBSPOT_TOKEN: 'pat-test-token',
    SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/XXXX`,
    LEADS_WEBHOOK_URL: `${receiver.url}/leads`,
    LEADS_WEBHOOK_SECRET: 'whsec_dGVzdC1zaWduaW5nLWtleQ==',
  };
  return {
    sim,
    llm,
    hubspot,
    slack,
    receiver,
    env,
    config: (engine = {}) => {
      const base = rawConfig(sim.url, PROVIDERS);
      return {
        ...base,
        providers: [
          ...(base.providers as object[]),
          {
            id: 'llm',
            kind: 'llm',
            baseUrl: llm.baseUrl,
            model: 'test-model',
            input: 'domain',
            fields: ['company.description'],
            costPerCall: 0.002,
            concurrency: 8,
            timeoutMs: 2000,
          },
        ],
        engine: { ...(base.engine as object), ...engine },
        pipelines: {
          '*': {
            dedupDays: 30,
            score: {
              rules: [
                { name: 'known company', points: 40, if: { field: 'company.name', present: true } },
                { name: 'mid-market', points: 40, if: { field: 'company.employees', between: [500, null] } },
              ],
            },
            qualify: { provider: 'llm', minScore: 50, instructions: 'Companies of 500 people or more.' },
            route: {
              rules: [
                { name: 'ae-team', if: [{ field: 'score', between: [60, null] }], owners: OWNERS },
                { name: 'nurture', owners: [{ name: 'Nurture queue' }] },
              ],
            },
            deliver: {
              hubspot: {
                token: '${env:HUBSPOT_TOKEN}',
                baseUrl: hubspot.url,
                traceProperty: 'cascade_write_id',
                properties: { company: 'company.name', icp_score: 'lead.score', lead_owner: 'lead.owner' },
              },
              webhook: { url: '${env:LEADS_WEBHOOK_URL}', secret: '${env:LEADS_WEBHOOK_SECRET}' },
            },
            notify: { slack: { webhookUrl: '${env:SLACK_WEBHOOK_URL}' } },
          },
        },
      };
    },
    async close() {
      await Promise.all([sim.close(), llm.close(), hubspot.close(), slack.close(), receiver.close()]);
    },
  };
}

/** Leads with work emails at `count` company domains, keyed by the domain's label (`co0`, `co1`…), each named after it. */
export const formLeads = (count: number, prefix = 'lead') =>
  Array.from({ length: count }, (_, i) => ({
    key: `${prefix}${i}`,
    input: { email: `buyer${i}@${prefix}${i}.com`, firstName: 'Sam', lastName: `Buyer-${prefix}${i}` },
  }));

/** How many times Slack's messages name the lead of this email (a line per lead: "Sam Buyer-<label> (<company>)"). */
export const slackMentions = (text: string, email: string) => text.split(`Buyer-${email.split('@')[1]!.split('.')[0]} (`).length - 1;

/** The lead (its email) a model request was about: the fake's duplicate counter groups requests by it. */
export const leadOfRequest = (messages: { content?: string | null }[]) => /"email": "([^"]+)"/.exec(messages.at(-1)?.content ?? '')?.[1];

/** The real server, in this process, on the world's configuration, with a key of its own workspace, and a client that holds each answer to the OpenAPI document. */
export interface PipelineServer {
  cascade: Cascade;
  api(path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Polls the job until it is no longer running (bounded). */
  waitForJob(id: string): Promise<any>;
  stop(): Promise<void>;
}

export async function startPipelineServer(world: PipelineWorld, workspace: string): Promise<PipelineServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cascade-pipeline-'));
  const cascade = await startCascade({
    config: parseConfig(world.config({ retryDelaysMs: [20, 40] }), world.env),
    dbUrl: `file:${join(dir, 'cascade.db')}`,
    port: 0,
    host: '127.0.0.1',
    log: () => {},
  });
  const key = await keysStore(cascade.database.db).create(workspace, Date.now());
  const api: PipelineServer['api'] = async (path, body) => {
    const method = body === undefined ? 'GET' : 'POST';
    const res = await fetch(`${cascade.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const out = { status: res.status, body: await res.json() };
    await expectDocumented(cascade.url, method, path, out.status, out.body);
    return out;
  };
  return {
    cascade,
    api,
    async waitForJob(id) {
      for (let i = 0; i < 1500; i++) {
        const { body } = await api(`/v1/jobs/${id}`);
        if (body.status !== 'running') return body;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`job ${id} still running`);
    },
    async stop() {
      await cascade.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
