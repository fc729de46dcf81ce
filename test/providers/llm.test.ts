import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../api/config/load.js';
import { startSimServer, type SimServer } from '../../api/demo/simServer.js';
import { emptyState } from '../../api/engine/rowState.js';
import { applyAnswer, missingFields } from '../../api/engine/waterfall.js';
import { buildProviders } from '../../api/providers/registry.js';
import type { Provider } from '../../api/providers/types.js';
import { startWithConfig, type Running } from './helpers/cascade.js';
import { startChatServer, type ChatServer } from './helpers/chatServer.js';
import { createHttpClient } from '../../api/net/httpClient.js';

const KEY = 'sk-test-llm-key-0123456789';
let chat: ChatServer;
let sim: SimServer;

const llmConfig = (over: Record<string, unknown> = {}) => ({
  id: 'guess',
  kind: 'llm',
  baseUrl: chat.url,
  model: 'gpt-test-mini',
  apiKey: '${env:LLM_KEY}',
  input: 'domain',
  fields: ['company.name', 'company.industry', 'company.employees'],
  costPerCall: 0.001,
  ...over,
});

const answer = (fields: Record<string, unknown>) => JSON.stringify({ fields });

beforeAll(async () => {
  chat = await startChatServer();
  sim = await startSimServer([{ id: 'firmo', fields: ['company.name'], behaviour: { matchRate: { '*': 1, xyz: 0 }, latency: { medianMs: 5, sigma: 0.1 } } }]);
});
afterAll(async () => {
  await chat.close();
  await sim.close();
});

function llm(over: Record<string, unknown> = {}): Provider {
  const { config } = parseConfig({ providers: [llmConfig(over)] }, { LLM_KEY: KEY });
  return buildProviders(config, { http: createHttpClient(), now: Date.now })[0]!;
}
const signal = new AbortController().signal;

describe('llm provider kind', () => {
  it('asks an OpenAI-compatible endpoint with the key from the environment, in JSON mode, and returns predictions with confidences', async () => {
    chat.requests.length = 0;
    chat.reply = () => answer({ 'company.industry': { value: 'Software', confidence: 0.82 }, 'company.employees': { value: 120, confidence: 0.6 } });
    const r = await llm().call({ domain: 'acme.test' }, signal);
    expect(r).toEqual({
      kind: 'match',
      status: 200,
      values: { 'company.industry': 'Software', 'company.employees': 120 },
      confidence: { 'company.industry': 0.82, 'company.employees': 0.6 },
    });
    const req = chat.requests[0]!;
    expect(req.authorization).toBe(`Bearer ${KEY}`);
    expect(req.body).toMatchObject({ model: 'gpt-test-mini', temperature: 0, response_format: { type: 'json_object' } });
    expect(req.body.messages[1]!.content).toContain('domain: acme.test');
    expect(req.body.messages[1]!.content).toContain('company.industry (Industry)');
  });

  it('validates the JSON against the schema: not JSON, wrong shapes and out-of-range confidences are bad answers', async () => {
    const p = llm();
    for (const content of [
      'The industry is software.',
      answer({ 'company.industry': { value: { nested: true }, confidence: 0.9 } }),
      answer({ 'company.industry': { value: 'Software', confidence: 1.5 } }),
      JSON.stringify({ industry: 'Software' }),
    ]) {
      chat.reply = () => content;
      const r = await p.call({ domain: 'acme.test' }, signal);
      expect(r, content).toMatchObject({ kind: 'permanent', code: 'provider_bad_response' });
    }
  });

  it('drops unknowns, fields not asked for and predictions below the confidence bar; accepts fenced JSON', async () => {
    chat.reply = () =>
      '```json\n' +
      answer({
        'company.name': { value: null, confidence: 0 },
        'company.industry': { value: 'Retail', confidence: 0.3 },
        'company.employees': { value: 40, confidence: 0.7 },
        'person.email': { value: 'ceo@acme.test', confidence: 0.99 },
      }) +
      '\n```';
    expect(await llm().call({ domain: 'acme.test' }, signal)).toMatchObject({ kind: 'match', values: { 'company.employees': 40 } });
    chat.reply = () => answer({ 'company.industry': { value: 'Retail', confidence: 0.3 } });
    expect(await llm().call({ domain: 'acme.test' }, signal)).toMatchObject({ kind: 'no_match' });
    chat.reply = () => 401;
    expect(await llm().call({ domain: 'acme.test' }, signal)).toMatchObject({ kind: 'permanent', code: 'provider_rejected', status: 401 });
    chat.reply = () => 429;
    expect(await llm().call({ domain: 'acme.test' }, signal)).toMatchObject({ kind: 'rate_limited' });
  });

  it('puts the prompt version (and everything else that shapes the question) in its cache key', () => {
    expect(llm().cacheVersion).toBe(llm().cacheVersion);
    expect(llm({ promptVersion: 'v2' }).cacheVersion).not.toBe(llm().cacheVersion);
    expect(llm({ model: 'other' }).cacheVersion).not.toBe(llm().cacheVersion);
    expect(llm({ instructions: 'Answer in German.' }).cacheVersion).not.toBe(llm().cacheVersion);
  });

  it('requires the key to come from the environment', () => {
    expect(() => parseConfig({ providers: [llmConfig({ apiKey: 'sk-pasted-in-the-file' })] })).toThrow(/providers\[0\]\.apiKey: an environment reference/);
  });

  it('never overwrites a found value; a found value replaces a prediction', () => {
    const data = { id: 'firmo', predictive: false } as Provider;
    const guess = { id: 'guess', predictive: true } as Provider;
    const fields = ['company.name', 'company.industry'] as const;
    const state = emptyState();
    applyAnswer(state, data, { 'company.name': 'Acme' }, 1, false, fields);
    applyAnswer(state, guess, { 'company.name': 'Acme Corp', 'company.industry': 'Software' }, 2, false, fields, {
      'company.name': 0.9,
      'company.industry': 0.7,
    });
    expect(state.values).toEqual({ 'company.name': 'Acme', 'company.industry': 'Software' });
    expect(state.provenance['company.industry']).toMatchObject({ provider: 'guess', predicted: true, confidence: 0.7 });
    expect(missingFields(state, fields)).toEqual(['company.industry']);
    applyAnswer(state, { id: 'later', predictive: false } as Provider, { 'company.industry': 'Analytics software' }, 3, false, fields);
    expect(state.values['company.industry']).toBe('Analytics software');
    expect(state.provenance['company.industry']).toEqual({ provider: 'later', fetchedAt: 3, cached: false });
  });
});

describe('llm fill-in through the API', () => {
  let app: Running;
  beforeAll(async () => {
    app = await startWithConfig(
      {
        providers: [
          {
            id: 'firmo',
            kind: 'http',
            input: 'domain',
            fields: ['company.name'],
            request: { url: `${sim.url}/firmo?q={{domain}}` },
            response: { map: { 'company.name': '/data/company.name' } },
            costPerMatch: 0.03,
          },
          llmConfig(),
        ],
      },
      { LLM_KEY: KEY },
    );
  });
  afterAll(() => app.stop());

  it('runs only when asked, last, for the fields no data provider found, marked predicted', async () => {
    chat.requests.length = 0;
    chat.reply = () => answer({ 'company.name': { value: 'Guessed Name', confidence: 0.9 }, 'company.industry': { value: 'Software', confidence: 0.8 } });
    const plain = await app.api('/v1/enrich', { input: { domain: 'acme.test' }, fields: ['company.name'] });
    expect(plain.body).toMatchObject({ status: 'matched', sources: { 'company.name': 'firmo' } });
    const refused = await app.api('/v1/enrich', { input: { domain: 'acme.test' }, fields: ['company.industry'] });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/ask with predict: true/);
    expect(chat.requests).toHaveLength(0);

    const simCalls = sim.requests.length;
    const r = await app.api('/v1/enrich', { input: { domain: 'acme.test' }, fields: ['company.name', 'company.industry'], predict: true });
    expect(r.status).toBe(200);
    expect(r.body.values['company.name']).not.toBe('Guessed Name');
    expect(r.body.sources).toEqual({ 'company.name': 'firmo', 'company.industry': 'guess' });
    expect(r.body.provenance['company.industry']).toMatchObject({ provider: 'guess', predicted: true, confidence: 0.8 });
    expect(r.body.provenance['company.name'].predicted).toBeUndefined();
    // A predicted value is not a found one: the row is partial and the field still missing.
    expect(r.body).toMatchObject({ status: 'partial', missing: ['company.industry'] });
    expect(chat.requests).toHaveLength(1);
    expect(sim.requests.length).toBe(simCalls); // firmo's answer for acme.test came from the cache

    // Nobody has data for this one: the prediction fills both fields.
    const unknown = await app.api('/v1/enrich', { input: { domain: 'nobody.xyz' }, fields: ['company.name', 'company.industry'], predict: true });
    expect(unknown.body).toMatchObject({ status: 'no_match', values: { 'company.name': 'Guessed Name', 'company.industry': 'Software' } });
    expect(sim.requests.at(-1)).toMatchObject({ provider: 'firmo', q: 'nobody.xyz', status: 404 });
  });

  it('is cached once per row input and prompt version, like any paid call', async () => {
    const before = chat.requests.length;
    const again = await app.api('/v1/enrich', { input: { domain: 'acme.test' }, fields: ['company.name', 'company.industry'], predict: true });
    expect(again.body.provenance['company.industry']).toMatchObject({ predicted: true, cached: true, confidence: 0.8 });
    expect(again.body.costUsd).toBe(0);
    expect(chat.requests.length).toBe(before);
  });

  it('fills job rows that ask for predictions, batch by batch, and leaves the others alone', async () => {
    chat.reply = (req) =>
      req.body.messages[1]!.content.includes('domain: pred')
        ? answer({ 'company.industry': { value: 'Logistics', confidence: 0.7 } })
        : answer({ 'company.industry': { value: 'Wrong', confidence: 0.9 } });
    const created = await app.api<{ id: string }>('/v1/jobs', {
      fields: ['company.name', 'company.industry'],
      rows: [{ key: '2', input: { domain: 'pred-one.xyz' } }],
      predict: true,
    });
    expect(created.status).toBe(202);
    const id = created.body.id;
    expect((await app.api(`/v1/jobs/${id}/rows`, { rows: [{ key: '3', input: { domain: 'pred-two.xyz' } }], predict: true })).status).toBe(202);
    expect((await app.api(`/v1/jobs/${id}/rows`, { rows: [{ key: '4', input: { domain: 'plain.xyz' } }] })).status).toBe(202);
    for (let i = 0; i < 1500 && (await app.api(`/v1/jobs/${id}`)).body.status === 'running'; i++) await new Promise((r) => setTimeout(r, 20));
    const rows = (await app.api(`/v1/jobs/${id}/results`)).body.rows;
    expect(rows.map((r: any) => [r.key, r.values['company.industry'] ?? null, r.provenance['company.industry']?.predicted ?? false])).toEqual([
      ['2', 'Logistics', true],
      ['3', 'Logistics', true],
      ['4', null, false],
    ]);
    expect(chat.requests.filter((r) => r.body.messages[1]!.content.includes('plain.xyz'))).toHaveLength(0);
    const refused = await app.api('/v1/jobs', { fields: ['company.industry'], rows: [] });
    expect(refused.status).toBe(400);
  });

  it('is counted apart from data-provider matches in the metrics', async () => {
    const { body } = await app.api('/v1/metrics?window=1d');
    const guess = body.providers.find((p: any) => p.provider === 'guess');
    const firmo = body.providers.find((p: any) => p.provider === 'firmo');
    expect(guess).toMatchObject({ predicted: true, matches: 4, costUsd: 0.004 });
    expect(firmo.predicted).toBeUndefined();
    expect(body.totals).toMatchObject({ matches: firmo.matches, noMatches: firmo.noMatches, predictedMatches: 4 });
    expect(body.totals.predictedCostUsd).toBeCloseTo(0.004, 9);
    expect(body.totals.costPerMatch).toBeCloseTo(firmo.costUsd / firmo.matches, 9);
    expect(body.totals.costUsd).toBeCloseTo(firmo.costUsd + 0.004, 9);
    expect(JSON.stringify(app.logs)).not.toContain(KEY);
  });
});
