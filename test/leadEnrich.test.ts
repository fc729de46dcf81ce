import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from './helpers/harness.js';

let h: Harness;
const LATENCY = { medianMs: 300, sigma: 0.01 };
beforeAll(async () => {
  h = await startHarness(
    [
      { id: 'firmo', fields: ['company.name', 'company.employees'], behaviour: { latency: LATENCY } },
      { id: 'people', fields: ['person.title'], input: 'email', behaviour: { latency: LATENCY } },
    ],
    { pipelines: { '*': { score: { rules: [{ name: 'sized', points: 50, if: { field: 'company.employees', present: true } }] } } } },
  );
});
afterAll(() => h.stop());

it("asks a lead's firmographic and contact providers side by side, while a plain job asks them one after the other", async () => {
  const lead = { email: 'ana@parallel.com' };
  const { body } = await h.api('/v1/leads', { body: { source: 'form', leads: [{ input: lead }], fields: ['company.name', 'person.title'] } });
  await h.waitForJob(body.jobId);
  const run = (await h.api(`/v1/leads/${body.leads[0].id}`)).body;
  expect(run.values).toMatchObject({ 'company.name': expect.any(String), 'person.title': expect.any(String), 'lead.score': 50 });
  const [firmo, people] = ['firmo', 'people'].map((p) => h.sim.requests.find((r) => r.provider === p && r.q.includes('parallel.com'))!);
  // Each answer takes 300 ms; the second request arrived before the first was answered.
  expect(Math.abs(firmo!.at - people!.at)).toBeLessThan(Math.min(firmo!.latencyMs!, people!.latencyMs!));

  const plain = (await h.api('/v1/jobs', { body: { fields: ['company.name', 'person.title'], rows: [{ key: '2', input: { email: 'bo@serial.com' } }] } })).body;
  await h.waitForJob(plain.id);
  const [a, b] = h.sim.requests.filter((r) => r.q.includes('serial.com')).sort((x, y) => x.at - y.at);
  expect(b!.at - a!.at).toBeGreaterThanOrEqual(a!.latencyMs! - 5);
});
