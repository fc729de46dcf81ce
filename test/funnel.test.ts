import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formLeads, leadOfRequest, startPipelineServer, startPipelineWorld, type PipelineServer, type PipelineWorld } from './helpers/pipelineWorld.js';

/** The lead funnel of GET /v1/metrics?jobId=, against the runs GET /v1/leads/{id} shows, through the real server. */

let world: PipelineWorld;
let server: PipelineServer;
const api = (path: string, body?: unknown) => server.api(path, body);
const waitForJob = (id: string) => server.waitForJob(id);

interface Step {
  step: string;
  outcome: string;
}
interface Run {
  values: Record<string, unknown>;
  steps: Step[];
}

const FLOOR = 50;
const outcome = (run: Run, step: string) => run.steps.find((s) => s.step === step)?.outcome;

/** The funnel as the runs' own views count it: each stage by the latest attempt of the run's own step. */
function funnelOf(runs: Run[]) {
  const passed = (r: Run, step: string) => outcome(r, step) === 'done' || outcome(r, step) === 'skipped';
  const score = (r: Run) => r.values['lead.score'] as number | undefined;
  return {
    rows: runs.length,
    enriched: runs.filter((r) => outcome(r, 'enrich') === 'done').length,
    aboveFloor: runs.filter((r) => passed(r, 'score') && (score(r) === undefined || score(r)! >= FLOOR)).length,
    qualified: runs.filter((r) => outcome(r, 'qualify') === 'done' && r.values['lead.qualified'] === true).length,
    delivered: runs.filter((r) => outcome(r, 'deliver') === 'done').length,
  };
}

async function runsOf(leads: { id: string }[]): Promise<Run[]> {
  return Promise.all(leads.map((l) => api(`/v1/leads/${encodeURIComponent(l.id)}`).then((r) => r.body as Run)));
}

async function funnelOfJob(jobId: string) {
  const { status, body } = await api(`/v1/metrics?jobId=${jobId}`);
  expect(status).toBe(200);
  return body;
}

beforeAll(async () => {
  world = await startPipelineWorld();
  server = await startPipelineServer(world, 'ws-funnel');
});
afterAll(async () => {
  await server?.stop();
  await world?.close();
});

describe('the lead funnel of GET /v1/metrics', () => {
  it('counts a job of leads stage by stage as its runs stand, and its cost per qualified lead', async () => {
    const fresh = formLeads(40, 'fun');
    // Three leads sent twice in the batch: the second of each is answered with the first's result.
    const leads = [...fresh, ...fresh.slice(0, 3).map((l, i) => ({ key: `again${i}`, input: l.input }))];
    // The model refuses every fourth lead: those above the floor fail at the qualify step, neither qualified nor delivered.
    const refused = new Set(fresh.filter((_, i) => i % 4 === 1).map((l) => l.input.email));
    world.llm.mode((req) => (refused.has(leadOfRequest(req.messages) ?? '') ? 'refusal' : 'ok'));
    const { body } = await api('/v1/leads', { source: 'form', leads });
    const job = await waitForJob(body.jobId);
    world.llm.mode('ok');
    const runs = await runsOf(body.leads);
    const expected = funnelOf(runs);
    const metrics = await funnelOfJob(body.jobId);

    expect(metrics.funnel).toEqual({
      ...expected,
      minScore: FLOOR,
      costUsd: job.costUsd,
      costPerQualifiedUsd: expect.closeTo(job.costUsd / expected.qualified, 6),
    });
    // Each stage within the one before, each cut by something: the duplicates count as rows only, the floor keeps
    // some leads from the model, the model's refusals fail theirs (neither qualified nor delivered).
    // (A duplicate of a refused lead is flagged with it, so the job counts more failed rows than failed runs.)
    const failed = runs.filter((r) => outcome(r, 'qualify') === 'failed').length;
    expect(failed).toBeGreaterThan(0);
    expect(job.counts.failed).toBeGreaterThanOrEqual(failed);
    expect(expected).toMatchObject({ rows: 43, enriched: 40, qualified: expected.aboveFloor - failed, delivered: 40 - failed });
    expect(expected.aboveFloor).toBeLessThan(expected.enriched);
    expect(expected.qualified).toBeGreaterThan(0);
    // The cost is the job's whole spend, enrichment and model: what its calls cost (a refusal is not billed).
    const model = metrics.providers.find((p: { provider: string }) => p.provider === 'llm:qualify');
    expect(model.costUsd).toBeGreaterThan(0);
    expect(metrics.funnel.costUsd).toBeCloseTo(metrics.totals.costUsd, 6);
  });

  it('counts a run whose delivery failed as not delivered, until a replay delivers it', async () => {
    world.hubspot.outage(500);
    const { body } = await api('/v1/leads', { source: 'crm', leads: formLeads(8, 'funout') });
    const job = await waitForJob(body.jobId);
    expect(job.counts.failed).toBe(8);
    const during = (await funnelOfJob(body.jobId)).funnel;
    expect(during).toMatchObject({ ...funnelOf(await runsOf(body.leads)), rows: 8, enriched: 8, delivered: 0 });

    world.hubspot.outage(null);
    expect((await api('/v1/leads/replay', { step: 'deliver', source: 'crm' })).body).toEqual({ replayed: 8 });
    await waitForJob(body.jobId);
    const after = (await funnelOfJob(body.jobId)).funnel;
    // Only the deliver stage moved, and no money was spent again.
    expect(after).toEqual({ ...during, delivered: 8 });
    expect(after).toMatchObject(funnelOf(await runsOf(body.leads)));
  });

  it('counts nothing delivered for a sheet job of leads whose delivery is off', async () => {
    const rows = formLeads(6, 'funsheet').map((l, i) => ({ key: String(i + 2), input: l.input }));
    const { body } = await api('/v1/jobs', { fields: ['company.name', 'lead.score', 'lead.qualified'], rows });
    const job = await waitForJob(body.id);
    const runs = await runsOf(rows.map((r) => ({ id: `${body.id}.${r.key}` })));
    const { funnel } = await funnelOfJob(body.id);
    expect(funnel).toMatchObject({ ...funnelOf(runs), rows: 6, enriched: 6, delivered: 0, costUsd: job.costUsd });
  });

  it('gives no funnel for a plain enrichment job, nor for the workspace window', async () => {
    const { body } = await api('/v1/jobs', { fields: ['company.name'], rows: [{ key: '2', input: { domain: 'plainco.com' } }] });
    await waitForJob(body.id);
    const metrics = await funnelOfJob(body.id);
    expect(metrics.totals.calls).toBeGreaterThan(0);
    expect(metrics).not.toHaveProperty('funnel');
    expect((await api('/v1/metrics?window=7d')).body).not.toHaveProperty('funnel');
  });
});
