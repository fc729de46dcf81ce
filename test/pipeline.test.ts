import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formLeads, OWNERS, slackMentions, startPipelineServer, startPipelineWorld, type PipelineServer, type PipelineWorld } from './helpers/pipelineWorld.js';

let world: PipelineWorld;
let server: PipelineServer;
const api = (path: string, body?: unknown) => server.api(path, body);
const waitForJob = (id: string) => server.waitForJob(id);

beforeAll(async () => {
  world = await startPipelineWorld();
  server = await startPipelineServer(world, 'ws-leads');
});
afterAll(async () => {
  await server?.stop();
  await world?.close();
});

describe('the lead pipeline', () => {
  const leads = formLeads(24, 'co');

  it('runs form leads through every step: scored, qualified by the model, routed in turn, upserted once and announced once', async () => {
    const { status, body } = await api('/v1/leads', { source: 'form', leads });
    expect(status).toBe(202);
    expect(body.leads).toHaveLength(24);
    const job = await waitForJob(body.jobId);
    expect(job.counts.failed).toBe(0);

    const runs = await Promise.all(body.leads.map((l: { id: string }) => api(`/v1/leads/${encodeURIComponent(l.id)}`).then((r) => r.body)));
    for (const run of runs) {
      expect(run.values['lead.score'], run.id).toBeTypeOf('number');
      expect(run.values['lead.owner'], run.id).toBeTypeOf('string');
      expect(run.values['lead.priority'], run.id).toMatch(/^(high|medium|low)$/);
      expect(typeof run.values['lead.qualified'], run.id).toBe('boolean');
      expect(run.values['lead.reason'], run.id).toBeTypeOf('string');
      expect(run.steps.map((s: { step: string }) => s.step)).toEqual(['dedup', 'enrich', 'score', 'qualify', 'route', 'deliver', 'notify']);
    }
    // The score floor: leads below it never reach the model, and say so (not as a model's judgement).
    const below = runs.filter((r) => r.values['lead.score'] < 50);
    const asked = runs.filter((r) => r.values['lead.score'] >= 50);
    expect(world.llm.requests).toHaveLength(asked.length);
    for (const r of below) expect(r.steps.find((s: { step: string }) => s.step === 'qualify')).toMatchObject({ outcome: 'skipped' });
    for (const r of asked) expect(r.steps.find((s: { step: string }) => s.step === 'qualify')).toMatchObject({ outcome: 'done', judgement: true });

    // Round-robin: the rule's owners take its leads strictly in turn.
    const team = runs.filter((r) => r.values['lead.score'] >= 60).map((r) => r.values['lead.owner']);
    const counts = OWNERS.map((o) => team.filter((n) => n === o.name).length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);

    // Every lead upserted once, keyed by email, carrying its write id; the signed webhook got each once.
    expect(world.hubspot.upserts).toHaveLength(24);
    expect(world.hubspot.duplicateUpserts()).toBe(0);
    expect(new Set(world.hubspot.upserts.map((u) => u.email)).size).toBe(24);
    expect(world.receiver.deliveries).toHaveLength(24);
    expect(world.receiver.duplicates()).toBe(0);
    for (const r of runs) expect(r.values['lead.crmId'], r.id).toBeTypeOf('string');

    // Qualified leads announced once each, bursts folded into digests within Slack's rate.
    const qualified = runs.filter((r) => r.values['lead.qualified'] === true);
    expect(qualified.length).toBeGreaterThan(0);
    const text = world.slack.messages.map((m) => m.text ?? '').join('\n');
    // Each lead's line names it: once per qualified lead, never for another.
    const mentions = (r: { key: string }) => slackMentions(text, `x@${r.key}.com`);
    for (const r of qualified) expect(mentions(r), r.id).toBe(1);
    for (const r of runs.filter((r) => r.values['lead.qualified'] !== true)) expect(mentions(r), r.id).toBe(0);
    expect(world.slack.statuses[429] ?? 0).toBe(0);
    expect(world.slack.messages.length).toBeLessThan(qualified.length + 1);
  });

  it('answers a lead already run within dedupDays with the earlier result, buying and sending nothing again', async () => {
    const before = { llm: world.llm.requests.length, upserts: world.hubspot.upserts.length, slack: world.slack.messages.length };
    const { body } = await api('/v1/leads', { source: 'import', leads: leads.slice(0, 5) });
    await waitForJob(body.jobId);
    for (const l of body.leads) {
      const run = (await api(`/v1/leads/${encodeURIComponent(l.id)}`)).body;
      expect(run.values['lead.duplicateOf']).toMatch(/\.co\d+$/);
      expect(run.values['lead.owner']).toBeTypeOf('string');
      expect(run.steps.map((s: { step: string }) => s.step)).toEqual(['dedup']);
    }
    expect(world.llm.requests.length).toBe(before.llm);
    expect(world.hubspot.upserts.length).toBe(before.upserts);
    expect(world.slack.messages.length).toBe(before.slack);
  });

  it('after a HubSpot outage, replay re-runs only the deliver step of the leads it failed', async () => {
    world.hubspot.outage(500);
    const fresh = formLeads(6, 'outage');
    const { body } = await api('/v1/leads', { source: 'crm', leads: fresh });
    const job = await waitForJob(body.jobId);
    expect(job.counts.failed).toBe(6);
    const failed = (await api(`/v1/leads/${encodeURIComponent(body.leads[0].id)}`)).body;
    expect(failed.error.code).toBe('delivery_failed');
    expect(failed.steps.at(-1)).toMatchObject({ step: 'deliver', outcome: 'failed' });
    const llmBefore = world.llm.requests.length;

    world.hubspot.outage(null);
    expect((await api('/v1/leads/replay', { step: 'deliver', source: 'crm' })).body).toEqual({ replayed: 6 });
    await waitForJob(body.jobId);
    for (const l of body.leads) {
      const run = (await api(`/v1/leads/${encodeURIComponent(l.id)}`)).body;
      expect(run.status, l.id).not.toBe('failed');
      const attempts = (step: string) => run.history.filter((a: { step: string }) => a.step === step).length;
      expect([attempts('dedup'), attempts('enrich'), attempts('score'), attempts('qualify'), attempts('route')]).toEqual([1, 1, 1, 1, 1]);
      expect(attempts('deliver')).toBe(2);
    }
    expect(world.llm.requests.length).toBe(llmBefore);
    expect(world.hubspot.duplicateUpserts()).toBe(0);
  });

  it('runs a sheet job asking lead fields through the pipeline, without effects unless the job turns them on', async () => {
    const { status, body } = await api('/v1/jobs', {
      fields: ['company.name', 'lead.score', 'lead.owner'],
      rows: [{ key: '2', input: { email: 'ops@sheetco.com' } }],
    });
    expect(status).toBe(202);
    await waitForJob(body.id);
    const run = (await api(`/v1/leads/${body.id}.2`)).body;
    expect(run.values['lead.score']).toBeTypeOf('number');
    expect(run.steps.find((s: { step: string }) => s.step === 'deliver')).toMatchObject({
      outcome: 'skipped',
      output: { why: 'delivery is off for this job' },
    });
    expect(world.hubspot.upserts.some((u) => u.email === 'ops@sheetco.com')).toBe(false);
    const results = (await api(`/v1/jobs/${body.id}/results`)).body;
    expect(results.rows[0].values).toMatchObject({ 'lead.score': run.values['lead.score'], 'lead.owner': run.values['lead.owner'] });
  });

  it('flags a lead the model answers badly or refuses, and a retry resumes at qualify; a 429 and a timeout are waited out', async () => {
    const leadsOf = (prefix: string) => formLeads(1, prefix).map((l) => ({ ...l, input: { ...l.input, email: l.input.email.replace('buyer0', 'vp') } }));
    const runOf = async (prefix: string, mode: 'malformed' | 'refusal' | 'rate_limited' | 'hang') => {
      world.llm.failNext(1, mode);
      const { body } = await api('/v1/leads', { source: 'form', leads: leadsOf(prefix) });
      await waitForJob(body.jobId);
      return { jobId: body.jobId, run: (await api(`/v1/leads/${encodeURIComponent(body.leads[0].id)}`)).body };
    };
    const malformed = await runOf('malformed', 'malformed');
    expect(malformed.run).toMatchObject({ status: 'failed', error: { code: 'provider_bad_response' } });
    expect(malformed.run.steps.at(-1)).toMatchObject({ step: 'qualify', outcome: 'failed' });
    const refused = await runOf('refused', 'refusal');
    expect(refused.run).toMatchObject({ status: 'failed', error: { code: 'provider_rejected', message: expect.stringMatching(/refused/) } });

    const asked = world.llm.requests.length;
    expect((await api(`/v1/jobs/${malformed.jobId}/retry`, {})).body).toEqual({ requeued: 1 });
    await waitForJob(malformed.jobId);
    const resumed = (await api(`/v1/leads/${encodeURIComponent(malformed.run.id)}`)).body;
    expect(resumed.status).not.toBe('failed');
    expect(resumed.history.filter((a: { step: string }) => a.step === 'enrich')).toHaveLength(1);
    expect(resumed.history.filter((a: { step: string }) => a.step === 'qualify').map((a: { outcome: string }) => a.outcome)).toEqual(['failed', 'done']);
    expect(world.llm.requests.length).toBe(asked + 1);

    for (const mode of ['rate_limited', 'hang'] as const) {
      const { run } = await runOf(mode.replace('_', ''), mode);
      expect(run.status, mode).not.toBe('failed');
      expect(run.values['lead.reason'], mode).toBeTypeOf('string');
    }
  }, 30_000);

  it('holds a duplicate of a run that stopped at dedup, and answers it once that run is replayed: its effects are never sent twice', async () => {
    world.hubspot.outage(500);
    const [lead] = formLeads(1, 'twice');
    const first = (await api('/v1/leads', { source: 'crm', leads: [lead] })).body;
    await waitForJob(first.jobId);
    const again = (await api('/v1/leads', { source: 'import', leads: [{ ...lead!, key: 'again' }] })).body;
    await waitForJob(again.jobId);
    const held = (await api(`/v1/leads/${encodeURIComponent(again.leads[0].id)}`)).body;
    expect(held).toMatchObject({ status: 'failed', error: { code: 'delivery_failed', message: expect.stringMatching(/^a duplicate of .*, which stopped: /) } });
    expect(held.steps.map((s: { step: string; outcome: string }) => `${s.step} ${s.outcome}`)).toEqual(['dedup failed']);

    world.hubspot.outage(null);
    expect((await api('/v1/leads/replay', { source: 'crm', step: 'deliver' })).body.replayed).toBeGreaterThanOrEqual(1);
    await waitForJob(first.jobId);
    expect((await api('/v1/leads/replay', { source: 'import', step: 'dedup' })).body).toEqual({ replayed: 1 });
    await waitForJob(again.jobId);
    const answered = (await api(`/v1/leads/${encodeURIComponent(again.leads[0].id)}`)).body;
    expect(answered.status).not.toBe('failed');
    expect(answered.values['lead.duplicateOf']).toBe(first.leads[0].id);
    expect(world.hubspot.upserts.filter((u) => u.email === lead!.input.email)).toHaveLength(1);
  });

  it('cancel hands back runs waiting on their CRM write and sends no more of the job; a resume sends each once', async () => {
    // HubSpot answers the write out at the cancel after 3 s: the runs are handed back long before that.
    world.hubspot.delayMs = 3000;
    const batch = formLeads(4, 'cancelled');
    const { body } = await api('/v1/leads', { source: 'crm', leads: batch });
    // Every run reaches deliver: its write is queued or out at HubSpot.
    const atDeliver = async () => {
      const runs = await Promise.all(body.leads.map((l: { id: string }) => api(`/v1/leads/${encodeURIComponent(l.id)}`)));
      return runs.every((r) => r.body.steps.some((s: { step: string }) => s.step === 'route'));
    };
    for (let i = 0; i < 500 && !(await atDeliver()); i++) await new Promise((r) => setTimeout(r, 10));
    const cancelled = (await api(`/v1/jobs/${body.jobId}/cancel`, {})).body;
    expect(cancelled.status).toBe('cancelled');
    world.hubspot.delayMs = 0;
    // Handed back, not failed: each waits, pending, for the job to resume.
    for (let i = 0; i < 40; i++) {
      const job = (await api(`/v1/jobs/${body.jobId}`)).body;
      if (job.counts.running === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const job = (await api(`/v1/jobs/${body.jobId}`)).body;
    expect(job.counts).toMatchObject({ running: 0, failed: 0 });
    const sentBefore = world.hubspot.upserts.filter((u) => u.email.includes('@cancelled')).length;
    await new Promise((r) => setTimeout(r, 300));
    expect(world.hubspot.upserts.filter((u) => u.email.includes('@cancelled')).length).toBe(sentBefore);

    await api(`/v1/jobs/${body.jobId}/retry`, {});
    const resumed = await waitForJob(body.jobId);
    expect(resumed.counts.failed).toBe(0);
    expect(world.hubspot.upserts.filter((u) => u.email.includes('@cancelled'))).toHaveLength(4);
    expect(world.hubspot.duplicateUpserts()).toBe(0);
  });
});
