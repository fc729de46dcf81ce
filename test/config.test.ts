import { mkdtempSync, writeFileSync } from 'node:fs';
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
