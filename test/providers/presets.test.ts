import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../api/config/load.js';
import { PRESETS } from '../../api/providers/presets/catalogue.js';
import { buildProviders } from '../../api/providers/registry.js';
import type { CallResult, Provider } from '../../api/providers/types.js';
import { PAID_KEYS, startPaidApis, type PaidApis } from './helpers/paidApis.js';
import { createHttpClient } from '../../api/net/httpClient.js';

let apis: PaidApis;
beforeAll(async () => {
  apis = await startPaidApis();
});
afterAll(() => apis.close());

const ENV = { HUNTER_API_KEY: PAID_KEYS.hunter, APOLLO_API_KEY: PAID_KEYS.apollo, PDL_API_KEY: PAID_KEYS.pdl };
const signal = new AbortController().signal;

function preset(name: string, api: 'hunter' | 'apollo' | 'pdl', extra: Record<string, unknown> = {}): Provider {
  const env = { hunter: '${env:HUNTER_API_KEY}', apollo: '${env:APOLLO_API_KEY}', pdl: '${env:PDL_API_KEY}' }[api];
  const { config } = parseConfig({ providers: [{ preset: name, id: 'p', vars: { apiKey: env, baseUrl: `${apis.url}/${api}` }, ...extra }] }, ENV);
  return buildProviders(config, { http: createHttpClient(), now: Date.now })[0]!;
}

async function outcome(p: Provider, input: Parameters<Provider['call']>[0], mode: PaidApis['mode']): Promise<CallResult> {
  apis.mode = mode;
  apis.requests.length = 0;
  return p.call(input, signal);
}

const PERSON = { email: 'jane.doe@acme.test', domain: 'acme.test', firstName: 'Jane', lastName: 'Doe', fullName: 'Jane Doe' };

describe('presets', () => {
  it('ships the documented Hunter, Apollo and People Data Labs endpoints', () => {
    expect(Object.keys(PRESETS).sort()).toEqual([
      'apollo-organization-enrich',
      'apollo-person-match',
      'hunter-domain-search',
      'hunter-email-finder',
      'hunter-email-verifier',
      'pdl-company-enrich',
      'pdl-person-enrich',
    ]);
  });

  it('are used from a config entry with a key from the environment, with documented limits and overridable costs', () => {
    const { config, secrets } = parseConfig(
      { providers: [{ preset: 'hunter-email-finder', id: 'hunter', vars: { apiKey: '${env:HUNTER_API_KEY}' }, costPerMatch: 0.04 }] },
      ENV,
    );
    const p = config.providers[0]!;
    expect(p).toMatchObject({
      id: 'hunter',
      kind: 'http',
      label: 'Hunter Email Finder',
      costPerMatch: 0.04,
      ratePerSecond: 8,
      rateLimitStatus: [403],
      pendingStatus: [202],
    });
    expect(p.kind === 'http' && p.request.url).toMatch(/^https:\/\/api\.hunter\.io\/v2\/email-finder\?/);
    expect(secrets).toEqual([PAID_KEYS.hunter]);
  });

  it('say what is wrong with a preset entry, and where', () => {
    const err = (entry: Record<string, unknown>) => {
      try {
        parseConfig({ providers: [entry] }, ENV);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(err({ preset: 'hunter-email-finder', id: 'h' })).toMatch(/providers\[0\]\.vars\.apiKey: the hunter-email-finder preset needs vars\.apiKey/);
    expect(err({ preset: 'clearbit', id: 'c' })).toMatch(/providers\[0\]\.preset: no preset "clearbit"/);
    expect(err({ preset: 'pdl-person-enrich', id: 'p', vars: { apiKey: '${env:PDL_API_KEY}', token: 'x' } })).toMatch(
      /providers\[0\]\.vars\.token: .* has no var "token"/,
    );
    expect(err({ preset: 'pdl-person-enrich', id: 'p', vars: { apiKey: '${env:PDL_API_KEY}' }, request: {} })).toMatch(/providers\[0\]: Unrecognized key/);
    expect(err({ preset: 'apollo-person-match', id: 'a', vars: { apiKey: 'pasted-key-123' } })).toMatch(
      /providers\[0\]\.vars\.apiKey: a key comes from the environment only/,
    );
  });
});

describe('Hunter presets', () => {
  it('email finder: match, no match, 403 is a rate limit, 429 is a used-up plan, 401 a refused key, 202 asks again', async () => {
    const p = preset('hunter-email-finder', 'hunter');
    expect(await outcome(p, PERSON, 'match')).toMatchObject({
      kind: 'match',
      values: {
        'person.email': 'jane.doe@acme.test',
        'person.emailStatus': 'valid',
        'person.title': 'CTO',
        'person.linkedinUrl': 'https://www.linkedin.com/in/janedoe',
        'company.name': 'Acme Analytics',
      },
    });
    const sent = apis.requests[0]!;
    expect(sent.url).toBe('/hunter/v2/email-finder?domain=acme.test&first_name=Jane&last_name=Doe');
    expect(sent.headers['x-api-key']).toBe(PAID_KEYS.hunter);
    expect(await outcome(p, PERSON, 'none')).toMatchObject({ kind: 'no_match' });
    expect(await outcome(p, PERSON, 'hunter-403')).toMatchObject({ kind: 'rate_limited', status: 403 });
    expect(await outcome(p, PERSON, '429')).toMatchObject({ kind: 'permanent', code: 'provider_rejected', message: expect.stringMatching(/used up/) });
    const auth = await outcome(p, PERSON, 'auth');
    expect(auth).toMatchObject({ kind: 'permanent', code: 'provider_rejected', message: expect.stringMatching(/refused the API key \(HTTP 401\)/) });
    expect(JSON.stringify(auth)).not.toContain(PAID_KEYS.hunter);
    expect(await outcome(p, PERSON, 'hunter-202')).toMatchObject({ kind: 'pending', status: 202, retryAfterMs: 2000 });
  });

  it('email verifier: billed per call; 451 is no match', async () => {
    const p = preset('hunter-email-verifier', 'hunter');
    expect(p.costPerCall).toBe(0.0125);
    expect(await outcome(p, PERSON, 'match')).toMatchObject({ kind: 'match', values: { 'person.emailStatus': 'valid' } });
    expect(apis.requests[0]!.url).toBe('/hunter/v2/email-verifier?email=jane.doe%40acme.test');
    expect(await outcome(p, PERSON, 'none')).toMatchObject({ kind: 'no_match', status: 451 });
    expect(await outcome(p, PERSON, '429')).toMatchObject({ kind: 'permanent' });
    expect(await outcome(p, PERSON, 'auth')).toMatchObject({ kind: 'permanent', status: 401 });
  });

  it('domain search: company fields, and a domain Hunter knows nothing of is no match', async () => {
    const p = preset('hunter-domain-search', 'hunter');
    expect(await outcome(p, PERSON, 'match')).toMatchObject({
      kind: 'match',
      values: {
        'company.name': 'Acme Analytics',
        'company.industry': 'Software',
        'company.employees': '51-200',
        'company.linkedinUrl': 'https://www.linkedin.com/company/acme-analytics',
        'company.techStack': ['hubspot', 'wordpress'],
      },
    });
    expect(await outcome(p, PERSON, 'none')).toMatchObject({ kind: 'no_match' });
    expect(await outcome(p, PERSON, 'hunter-403')).toMatchObject({ kind: 'rate_limited' });
    expect(await outcome(p, PERSON, 'auth')).toMatchObject({ kind: 'permanent', status: 401 });
  });
});

describe('Apollo presets', () => {
  it('person match: POSTs the email, person: null is no match, quota headers pause, 429 waits for the window', async () => {
    const p = preset('apollo-person-match', 'apollo');
    expect(await outcome(p, PERSON, 'match')).toMatchObject({
      kind: 'match',
      values: {
        'person.fullName': 'Jane Doe',
        'person.title': 'Chief Technology Officer',
        'person.seniority': 'c_suite',
        'company.name': 'Acme Analytics',
        'company.domain': 'acme.test',
      },
    });
    const sent = apis.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(JSON.parse(sent.body)).toEqual({ email: 'jane.doe@acme.test', reveal_personal_emails: false, reveal_phone_number: false });
    expect(sent.headers['x-api-key']).toBe(PAID_KEYS.apollo);
    expect(await outcome(p, PERSON, 'none')).toMatchObject({ kind: 'no_match', status: 200 });
    const used = await outcome(p, PERSON, 'apollo-quota-used');
    expect(used.kind).toBe('match');
    expect((used as { pauseMs?: number }).pauseMs).toBeGreaterThan(0);
    expect((used as { pauseMs?: number }).pauseMs).toBeLessThanOrEqual(60_000);
    const limited = await outcome(p, PERSON, '429');
    expect(limited).toMatchObject({ kind: 'rate_limited', status: 429 });
    expect((limited as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThan(0);
    expect(await outcome(p, PERSON, 'auth')).toMatchObject({ kind: 'permanent', message: expect.stringMatching(/Apollo refused the API key/) });
  });

  it('organization enrich: company fields by domain; an empty answer is no match', async () => {
    const p = preset('apollo-organization-enrich', 'apollo');
    expect(await outcome(p, PERSON, 'match')).toMatchObject({
      kind: 'match',
      values: {
        'company.name': 'Acme Analytics',
        'company.employees': 120,
        'company.founded': 2015,
        'company.revenue': 12_000_000,
        'company.techStack': ['Google Analytics', 'HubSpot'],
      },
    });
    expect(apis.requests[0]!.url).toBe('/apollo/api/v1/organizations/enrich?domain=acme.test');
    expect(await outcome(p, PERSON, 'none')).toMatchObject({ kind: 'no_match' });
    expect(await outcome(p, PERSON, '429')).toMatchObject({ kind: 'rate_limited' });
    expect(await outcome(p, PERSON, 'auth')).toMatchObject({ kind: 'permanent', status: 401 });
  });
});

describe('People Data Labs presets', () => {
  it('person enrich: min_likelihood in the query, 404 is an unbilled no match, 429 waits for the reset', async () => {
    const p = preset('pdl-person-enrich', 'pdl');
    expect(await outcome(p, PERSON, 'match')).toMatchObject({
      kind: 'match',
      values: { 'person.fullName': 'Jane Doe', 'person.seniority': ['cxo'], 'person.department': 'engineering', 'company.domain': 'acme.test' },
    });
    expect(apis.requests[0]!.url).toBe('/pdl/v5/person/enrich?email=jane.doe%40acme.test&min_likelihood=6&titlecase=true');
    expect(apis.requests[0]!.headers['x-api-key']).toBe(PAID_KEYS.pdl);
    expect(await outcome(p, PERSON, 'none')).toMatchObject({ kind: 'no_match', status: 404 });
    expect(p.costPerCall).toBe(0);
    expect(await outcome(p, PERSON, '429')).toMatchObject({ kind: 'rate_limited', retryAfterMs: 2000 });
    expect(await outcome(p, PERSON, 'auth')).toMatchObject({ kind: 'permanent', message: expect.stringMatching(/People Data Labs refused the API key/) });
  });

  it('company enrich: top-level company fields; the likelihood threshold is a var', async () => {
    const p = preset('pdl-company-enrich', 'pdl', { costPerMatch: 0.05 });
    expect(p.costPerMatch).toBe(0.05);
    expect(await outcome(p, PERSON, 'match')).toMatchObject({
      kind: 'match',
      values: {
        'company.name': 'Acme Analytics',
        'company.employees': 120,
        'company.country': 'United States',
        'company.description': 'Product analytics for B2B teams.',
      },
    });
    expect(apis.requests[0]!.url).toBe('/pdl/v5/company/enrich?website=acme.test&min_likelihood=3&titlecase=true');
    expect(await outcome(p, PERSON, 'none')).toMatchObject({ kind: 'no_match' });
    expect(await outcome(p, PERSON, '429')).toMatchObject({ kind: 'rate_limited' });
    expect(await outcome(p, PERSON, 'auth')).toMatchObject({ kind: 'permanent', status: 401 });
  });
});
