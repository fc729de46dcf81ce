import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config/load.js';
import { EnvSchema, parseEnv } from './env.js';

describe('parseEnv', () => {
  it('gives the documented defaults for an empty environment, and takes an empty value as unset', () => {
    expect(parseEnv({ PORT: '', HOST: '' })).toMatchObject({ PORT: 8787, HOST: '127.0.0.1', CASCADE_DB: 'file:./data/cascade.db', CASCADE_DEMO_JOB: '1' });
    expect(parseEnv({ PORT: '0', CASCADE_SHEETS_WRITES_PER_USER: '30' })).toMatchObject({ PORT: 0, CASCADE_SHEETS_WRITES_PER_USER: 30 });
    expect(
      parseEnv({ CASCADE_ALERT_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x', CASCADE_ALERT_WEBHOOK_FORMAT: 'slack', CASCADE_ALERT_CHECK_MS: '60000' }),
    ).toMatchObject({
      CASCADE_ALERT_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x',
      CASCADE_ALERT_WEBHOOK_FORMAT: 'slack',
      CASCADE_ALERT_CHECK_MS: 60000,
    });
    expect(parseEnv({}).CASCADE_ALERT_WEBHOOK_URL).toBeUndefined();
  });

  it('names every variable that is wrong, with what it got', () => {
    expect(() => parseEnv({ PORT: '99999', CASCADE_SHEETS_URL: 'ftp://x', CASCADE_SHEETS_DASHBOARD_MS: '-5' })).toThrow(
      /PORT: .*\(got "99999"\)\nCASCADE_SHEETS_URL: .*\nCASCADE_SHEETS_DASHBOARD_MS: .*\(got "-5"\)/,
    );
    expect(() => parseEnv({ CASCADE_ALERT_WEBHOOK_URL: 'hooks.slack.com/x', CASCADE_ALERT_WEBHOOK_FORMAT: 'teams' })).toThrow(
      /CASCADE_ALERT_WEBHOOK_URL: .*\nCASCADE_ALERT_WEBHOOK_FORMAT: /,
    );
  });

  it('takes a metrics token of 16 or more characters without spaces, and refuses a weaker one by name', () => {
    expect(parseEnv({}).CASCADE_METRICS_TOKEN).toBeUndefined();
    expect(parseEnv({ CASCADE_METRICS_TOKEN: 'prom-scrape-token-0123' }).CASCADE_METRICS_TOKEN).toBe('prom-scrape-token-0123');
    for (const weak of ['short', 'has a space in it 0123'])
      expect(() => parseEnv({ CASCADE_METRICS_TOKEN: weak })).toThrow(/^CASCADE_METRICS_TOKEN: .*\(got "/);
  });

  it('takes a token key of 32 bytes in base64, and refuses another without quoting it', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(parseEnv({ CASCADE_TOKEN_KEY: key }).CASCADE_TOKEN_KEY).toEqual(Buffer.alloc(32, 7));
    expect(parseEnv({}).CASCADE_TOKEN_KEY).toBeUndefined();
    for (const wrong of [Buffer.alloc(16, 7).toString('base64'), 'not base64 at all!', `${key}x`]) {
      let said = '';
      try {
        parseEnv({ CASCADE_TOKEN_KEY: wrong });
      } catch (err) {
        said = (err as Error).message;
      }
      expect(said).toMatch(/^CASCADE_TOKEN_KEY: .*\(value not shown\)$/);
      expect(said).not.toContain(wrong);
    }
  });

  it('takes a cluster URL with the token key its wakes are signed with, `auto` only with an address others can reach', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(parseEnv({ CASCADE_TOKEN_KEY: key, CASCADE_CLUSTER_URL: 'http://10.0.0.5:8787/' }).CASCADE_CLUSTER_URL).toBe('http://10.0.0.5:8787');
    expect(parseEnv({ CASCADE_TOKEN_KEY: key, CASCADE_CLUSTER_URL: 'auto' }).CASCADE_CLUSTER_URL).toBe('auto');
    expect(() => parseEnv({ CASCADE_CLUSTER_URL: 'auto' })).toThrow(/^CASCADE_CLUSTER_URL: needs CASCADE_TOKEN_KEY/);
    expect(() => parseEnv({ CASCADE_TOKEN_KEY: key, CASCADE_CLUSTER_URL: 'auto', HOST: '0.0.0.0' })).toThrow(/CASCADE_CLUSTER_URL: auto needs HOST/);
    for (const wrong of ['ftp://10.0.0.5', '10.0.0.5:8787', 'http://10.0.0.5:8787/?x=1'])
      expect(() => parseEnv({ CASCADE_TOKEN_KEY: key, CASCADE_CLUSTER_URL: wrong })).toThrow(/^CASCADE_CLUSTER_URL: /);
  });

  it('answers any value of any variable with settings or a ConfigError, never anything else', () => {
    const names = fc.constantFrom(...Object.keys(EnvSchema.shape));
    fc.assert(
      fc.property(fc.dictionary(names, fc.oneof(fc.string(), fc.integer().map(String), fc.constant(' '), fc.constant('NaN'))), (env) => {
        try {
          parseEnv(env);
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
        }
      }),
      { seed: 17, numRuns: 500 },
    );
  });
});
