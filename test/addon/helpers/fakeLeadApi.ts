import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  FIELDS,
  type CreateJob,
  type Field,
  type JobView,
  type LeadRun,
  type Metrics,
  type PipelineInfo,
  type RequestErrorCode,
  type RowResult,
  type StepAttempt,
} from '../../../shared/index.js';

/**
 * A stand-in for the Cascade API's lead-pipeline routes, typed from the
 * shared contract (the add-on checks every answer against the same
 * schemas): GET /v1/pipeline, POST /v1/jobs (refusing lead fields without a
 * pipeline, as the API does), the job's progress, GET /v1/leads/{id} and
 * the retry that replays a row. It lets the add-on's side of the pipeline be
 * tested whatever state the server's is in. Every request is recorded.
 */
export interface FakeLeadApi {
  url: string;
  /** null: the route is missing (an API from before the pipeline), answered 404 like any unknown route. */
  pipeline: PipelineInfo | null;
  requests: { method: string; path: string; body: any }[];
  /** Lead runs by id (`{jobId}.{key}`); a key not here answers 404. */
  leads: Map<string, LeadRun>;
  /** What a replayed run shows at each look after the retry, then the last one for good. */
  replays: Map<string, LeadRun[]>;
  jobs: Map<string, { body: CreateJob; rows: number }>;
  /** A plain job's rows as GET /v1/jobs/{id}/results gives them (`?key=` picks one); none: an empty page. */
  results: Map<string, RowResult[]>;
  /** Provider id → label, for GET /v1/metrics' providers. */
  labels: Record<string, string>;
  close(): Promise<void>;
}

export const FAKE_JOB_ID = 'job_fake1';

export const CONFIGURED: PipelineInfo = {
  configured: true,
  steps: ['enrich', 'score', 'qualify', 'route', 'deliver', 'notify'],
  deliverTo: ['hubspot'],
  notifyTo: ['slack'],
  minScore: 40,
};

const at = '2025-01-01T00:00:00.000Z';
export const attempt = (a: Partial<StepAttempt> & Pick<StepAttempt, 'step' | 'outcome'>): StepAttempt => ({
  attempt: 1,
  at,
  durationMs: 10,
  costUsd: 0,
  by: null,
  output: null,
  ...a,
});

/** A run whose deliver step failed: what Replay is for. */
export function failedRun(jobId: string, key: string): LeadRun {
  const steps = [
    attempt({ step: 'enrich', outcome: 'done', durationMs: 840, costUsd: 0.03, by: 'firmo, people' }),
    attempt({ step: 'score', outcome: 'done', durationMs: 2, by: 'score rules', output: { score: 72 } }),
    attempt({
      step: 'qualify',
      outcome: 'done',
      durationMs: 1234,
      costUsd: 0.0004,
      by: 'demo-llm (gpt-4o-mini)',
      judgement: true,
      output: { qualified: true, reason: 'Mid-size SaaS in a target country' },
    }),
    attempt({ step: 'route', outcome: 'done', durationMs: 1, by: 'rule EU', output: { owner: 'Ann Example', priority: 'medium' } }),
    attempt({ step: 'deliver', outcome: 'failed', durationMs: 5012, by: 'hubspot', error: { code: 'delivery_failed', message: 'HubSpot answered HTTP 502' } }),
  ];
  return {
    id: `${jobId}.${key}`,
    jobId,
    key,
    source: 'sheet',
    status: 'failed',
    values: {
      'company.name': 'Lead Co',
      'lead.score': 72,
      'lead.qualified': true,
      'lead.reason': 'Mid-size SaaS in a target country',
      'lead.owner': 'Ann Example',
      'lead.priority': 'medium',
    },
    steps,
    history: steps,
    error: { code: 'delivery_failed', message: 'HubSpot answered HTTP 502' },
  };
}

/** The same run after Replay: first seen running again, then with deliver (and notify) done; the earlier steps untouched. */
export function replayedRuns(run: LeadRun): LeadRun[] {
  const running: LeadRun = { ...run, status: 'running' };
  const deliver = attempt({ step: 'deliver', attempt: 2, outcome: 'done', durationMs: 310, by: 'hubspot', output: { crmId: '901' } });
  const notify = attempt({ step: 'notify', outcome: 'done', durationMs: 120, by: 'slack' });
  const steps = [...run.steps.filter((s) => s.step !== 'deliver'), deliver, notify];
  const { error: _error, ...rest } = run;
  return [running, { ...rest, status: 'matched', values: { ...run.values, 'lead.crmId': '901' }, steps, history: [...run.history, deliver, notify] }];
}

const counts = (n: number) => ({ total: n, pending: 0, running: 0, matched: n, partial: 0, no_match: 0, failed: 0, invalid_input: 0, budget_exhausted: 0 });

export async function startFakeLeadApi(pipeline: PipelineInfo | null = CONFIGURED): Promise<FakeLeadApi> {
  const api: Omit<FakeLeadApi, 'url' | 'close'> = {
    pipeline,
    requests: [],
    leads: new Map(),
    replays: new Map(),
    jobs: new Map(),
    results: new Map(),
    labels: {},
  };
  const metrics = (window: string): Metrics => {
    const zero = { calls: 0, paidCalls: 0, matches: 0, noMatches: 0, matchRate: null, p50Ms: null, p95Ms: null, costUsd: 0, costPerMatch: null };
    const more = { rateLimited: 0, errors: 0, cacheHits: 0, savedUsd: 0 };
    return {
      window,
      since: at,
      providers: Object.entries(api.labels).map(([provider, label]) => ({ provider, label, demo: false, ...zero, ...more })),
      totals: { ...zero, ...more, predictedMatches: 0, predictedCostUsd: 0 },
    };
  };
  let nextJob = 1;
  const send = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const fail = (res: ServerResponse, status: number, code: RequestErrorCode, message: string) => send(res, status, { error: { code, message } });
  const jobView = (id: string): JobView => {
    const job = api.jobs.get(id)!;
    return {
      id,
      status: 'done',
      fields: job.body.fields as Field[],
      counts: counts(job.rows),
      costUsd: 0.12,
      maxCostUsd: null,
      createdAt: at,
      finishedAt: at,
    };
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = text ? JSON.parse(text) : undefined;
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    api.requests.push({ method, path, body });
    if (req.headers.authorization !== 'Bearer csk_fake_key') return fail(res, 401, 'unauthorized', 'no such key');
    if (method === 'GET' && path === '/health') return send(res, 200, { ok: true });
    if (method === 'GET' && path === '/v1/pipeline') {
      return api.pipeline ? send(res, 200, api.pipeline) : fail(res, 404, 'not_found', `no route GET ${path}`);
    }
    if (method === 'GET' && path === '/v1/metrics') return send(res, 200, metrics(url.searchParams.get('window') ?? '7d'));
    if (method === 'POST' && path === '/v1/estimate') {
      const n = body.inputs.length;
      return send(res, 200, { rows: n, invalid: 0, cached: 0, expectedCostUsd: 0.01 * n, maxCostUsd: 0.02 * n });
    }
    if (method === 'POST' && path === '/v1/jobs') {
      const fields = body.fields as Field[];
      if (fields.some((f) => FIELDS[f].group === 'lead') && !api.pipeline?.configured) {
        return fail(res, 409, 'pipeline_not_configured', 'this workspace has no lead pipeline');
      }
      const id = nextJob === 1 ? FAKE_JOB_ID : `job_fake${nextJob}`;
      nextJob++;
      api.jobs.set(id, { body, rows: body.rows.length });
      return send(res, 202, { id });
    }
    const job = /^\/v1\/jobs\/([^/]+)(\/\w+)?$/.exec(path);
    if (job && api.jobs.has(job[1]!)) {
      const id = job[1]!;
      if (method === 'GET' && !job[2]) return send(res, 200, jobView(id));
      if (method === 'POST' && job[2] === '/rows') {
        api.jobs.get(id)!.rows += body.rows.length;
        return send(res, 200, { appended: body.rows.length });
      }
      if (method === 'PUT' && job[2] === '/token') return send(res, 200, jobView(id));
      if (method === 'GET' && job[2] === '/results') {
        const key = url.searchParams.get('key');
        const rows = api.results.get(id) ?? [];
        return send(res, 200, { rows: key === null ? rows : rows.filter((r) => r.key === key) });
      }
      if (method === 'POST' && job[2] === '/retry') {
        const keys: string[] = body?.keys ?? [];
        let requeued = 0;
        for (const key of keys) {
          const row = api.results.get(id)?.find((r) => r.key === key);
          if (row && (row.status === 'failed' || row.status === 'budget_exhausted')) {
            // Re-queued: running until the next look, which finds it settled as the test scripted (`settled`).
            Object.assign(row, { status: 'running' as const, error: undefined });
            requeued++;
            continue;
          }
          const lead = api.leads.get(`${id}.${key}`);
          if (lead?.steps.some((s) => s.outcome === 'failed')) {
            api.replays.set(lead.id, replayedRuns(lead));
            requeued++;
          }
        }
        return send(res, 200, { requeued });
      }
    }
    const lead = /^\/v1\/leads\/(.+)$/.exec(path);
    if (method === 'GET' && lead) {
      const id = decodeURIComponent(lead[1]!);
      const queue = api.replays.get(id);
      if (queue?.length) {
        const next = queue.length > 1 ? queue.shift()! : queue[0]!;
        api.leads.set(id, next);
      }
      const run = api.leads.get(id);
      return run ? send(res, 200, run) : fail(res, 404, 'not_found', `no lead ${id}`);
    }
    return fail(res, 404, 'not_found', `no route ${method} ${path}`);
  };
  const server = createServer((req, res) => void handle(req, res).catch((err) => fail(res, 500, 'internal', String(err))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(api, {
    url,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

export const FAKE_KEY = 'csk_fake_key';
