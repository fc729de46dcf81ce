import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from '../api/config/load.js';
import { spawnServer } from './helpers/spawnServer.js';

const provider = (over: Record<string, unknown> = {}) => ({
  id: 'acme',
  kind: 'http',
  input: 'domain',
  fields: ['company.name'],
  request: { method: 'GET', url: 'https://api.acme.test/v1/company?domain={{domain}}', headers: { Authorization: 'Bearer ${env:ACME_KEY}' } },
  response: { map: { 'company.name': '/data/name' } },
  costPerCall: 0.03,
  ...over,
});

const error = (raw: unknown, env: Record<string, string> = { ACME_KEY: 'k_123456' }) => {
  try {
    parseConfig(raw, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('accepts the documented provider shape and resolves ${env:...} secrets', () => {
    const { config, secrets } = parseConfig({ providers: [provider()] }, { ACME_KEY: 'k_123456' });
    const p = config.providers[0]!;
    expect(p.kind === 'http' && p.request.headers.Authorization).toBe('Bearer k_123456');
    expect(secrets).toEqual(['k_123456']);
    expect(config.cache.freshnessDays).toBe(30);
    expect(config.engine.retryDelaysMs).toEqual([1000, 4000, 16_000, 64_000]);
  });

  it('names the path of a bad value', () => {
    expect(error({ providers: [provider(), provider({ id: 'b' }), provider({ id: 'c', request: { method: 'GET', url: 'ftp://x' } })] })).toMatch(
      /providers\[2\]\.request\.url: an http\(s\) URL/,
    );
    expect(error({ providers: [provider({ fields: ['company.nmae'] })] })).toMatch(/providers\[0\]\.fields\[0\]/);
    expect(error({ providers: [provider({ request: { url: 'https://x/?q={{domian}}' } })] })).toMatch(/unknown placeholder \{\{domian\}\}/);
    expect(error({ providers: [provider({ response: { map: { 'company.name': 'data/name' } } })] })).toMatch(/JSON Pointer/);
    expect(error({ providers: [provider({ response: { map: { 'person.title': '/t' } } })] })).toMatch(
      /providers\[0\]\.response\.map\.person\.title: maps a field/,
    );
    expect(error({ providers: [provider(), provider()] })).toMatch(/duplicate provider id "acme"/);
    expect(error({ providers: [provider()], order: ['nope'] })).toMatch(/order\[0\]: no provider with id "nope"/);
  });

  it('names a missing secret without revealing others', () => {
    expect(error({ providers: [provider()] }, {})).toBe('providers[0].request.headers.Authorization: environment variable ACME_KEY is not set');
  });

  it('reports unreadable and non-JSON files by path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascade-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, '{ nope');
    await expect(loadConfigFile(file, {})).rejects.toThrow(/c\.json is not valid JSON/);
    await expect(loadConfigFile(join(dir, 'missing.json'), {})).rejects.toThrow(/cannot read CASCADE_CONFIG/);
  });

  it('stops startup with the message, naming the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascade-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ providers: [provider({ costPerCall: -1 })] }));
    const started = spawnServer({ CASCADE_CONFIG: file, CASCADE_DB: `file:${join(dir, 'db')}`, ACME_KEY: 'k_123456' });
    await expect(started).rejects.toThrow(/exited with 1[\s\S]*providers\[0\]\.costPerCall/);
  });
});

describe('pipelines', () => {
  const readmeExample = () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const at = readme.indexOf('## The lead pipeline');
    const start = readme.indexOf('```json', at) + '```json'.length;
    return JSON.parse(readme.slice(start, readme.indexOf('```', start)));
  };
  const env = {
    APOLLO_API_KEY: 'k_apollo',
    OPENAI_API_KEY: 'k_openai',
    HUBSPOT_TOKEN: 'pat-na1-secret',
    LEADS_WEBHOOK_URL: 'https://hooks.example.com/leads',
    LEADS_WEBHOOK_SECRET: 'whsec_c2VjcmV0',
    SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/secret',
  };

  it("parses the README's worked example, reading every secret from the environment and keeping it a secret", () => {
    const { config, secrets } = parseConfig(readmeExample(), env);
    const p = config.pipelines['*']!;
    expect(p.deliver?.hubspot?.token).toBe('pat-na1-secret');
    expect(p.notify?.slack?.webhookUrl).toBe(env.SLACK_WEBHOOK_URL);
    expect(secrets).toEqual(expect.arrayContaining(['pat-na1-secret', env.SLACK_WEBHOOK_URL, env.LEADS_WEBHOOK_SECRET, env.LEADS_WEBHOOK_URL]));
    expect(p.route?.priorities).toEqual([
      { minScore: 80, priority: 'high' },
      { minScore: 50, priority: 'medium' },
    ]);
  });

  it('names the path of what is wrong in a pipeline', () => {
    const bad = (edit: (p: any) => void) => {
      const raw = readmeExample();
      edit(raw.pipelines['*']);
      return error(raw, env);
    };
    expect(bad((p) => (p.qualify.provider = 'apollo'))).toMatch(/pipelines\.\*\.qualify\.provider: no llm provider with id "apollo"/);
    expect(bad((p) => (p.score.rules[0].if = { field: 'company.employees', between: [1, 2], present: true }))).toMatch(
      /pipelines\.\*\.score\.rules\[0\]\.if: give exactly one of between, in, contains, present/,
    );
    expect(bad((p) => (p.deliver.hubspot.token = 'pat-in-the-file'))).toMatch(/pipelines\.\*\.deliver\.hubspot\.token: an environment reference/);
    expect(bad((p) => (p.route.rules[0].owners = []))).toMatch(/pipelines\.\*\.route\.rules\[0\]\.owners/);
    expect(error(readmeExample(), { ...env, SLACK_WEBHOOK_URL: '' })).toBe(
      'pipelines.*.notify.slack.webhookUrl: environment variable SLACK_WEBHOOK_URL is not set',
    );
  });
});
