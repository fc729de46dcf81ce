import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../api/config/load.js';
import { refusalReason } from '../../api/net/addressPolicy.js';
import { AddressGuard } from '../../api/net/guard.js';
import { createResolver } from '../../api/net/resolver.js';
import { buildProviders } from '../../api/providers/registry.js';
import type { CallResult, Provider } from '../../api/providers/types.js';
import { startDnsServer, type DnsServer } from './helpers/dnsServer.js';
import { page, redirect, startDeadPort, startWebServer, type WebServer } from './helpers/webServer.js';
import { ZONES } from './helpers/zones.js';
import { createHttpClient } from '../../api/net/httpClient.js';

let dns: DnsServer;
let web: WebServer;
let internal: WebServer;
let tls: Awaited<ReturnType<typeof startDeadPort>>;
const signal = new AbortController().signal;

beforeAll(async () => {
  dns = await startDnsServer(ZONES);
  // A loopback service that sheet input must never reach: its port is not in allowLoopbackPorts.
  internal = await startWebServer({ '127.0.0.1': (_q, res) => res.end('{"secret": "instance credentials"}') });
  tls = await startDeadPort();
  web = await startWebServer({
    'acme.test': page('acme.html', { server: 'cloudflare' }),
    'globex.test': page('globex.html', { 'content-type': 'text/html' }, (b) => Buffer.from(b.toString('utf8'), 'latin1')),
    'initech.test': redirect((port) => `http://www.initech.test:${port}/`, 301),
    'www.initech.test': page('initech.html'),
    'nomail.test': (_q, res) => res.writeHead(200, { 'content-type': 'application/pdf' }).end('%PDF-1.4'),
    'redirect.test': redirect(() => `http://127.0.0.1:${internal.port}/latest/meta-data/`),
    'redirect2.test': redirect((port) => `http://internal.test:${port}/`),
    'redirect6.test': redirect(() => `http://[::ffff:169.254.169.254]/latest/meta-data/`),
  });
});
afterAll(async () => {
  await Promise.all([dns.close(), web.close(), internal.close(), tls.close()]);
});

function providers(extra: Record<string, unknown> = {}, allow = true): Map<string, Provider> {
  const logs: string[] = [];
  const { config } = parseConfig({
    providers: [
      { id: 'website', kind: 'website', urls: [`https://{{domain}}:${tls.port}/`, `http://{{domain}}:${web.port}/`], perHostIntervalMs: 0 },
      { id: 'dns', kind: 'dns', perHostIntervalMs: 0 },
      { id: 'email-check', kind: 'email-check', perHostIntervalMs: 0 },
    ],
    net: { dnsServers: [dns.address], allowLoopbackPorts: allow ? [web.port, tls.port] : [] },
    ...extra,
  });
  return new Map(buildProviders(config, { http: createHttpClient(), now: Date.now, log: (m) => logs.push(m) }).map((p) => [p.id, p]));
}

const values = (r: CallResult) => {
  expect(r.kind, JSON.stringify(r)).toBe('match');
  return (r as Extract<CallResult, { kind: 'match' }>).values;
};

describe('address policy', () => {
  it('refuses every non-public range, IPv4 and IPv6, and unwraps IPv4 inside IPv6', () => {
    for (const ip of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.251',
      '255.255.255.255',
      '192.0.2.1',
      '240.0.0.1',
    ]) {
      expect(refusalReason(ip), ip).toBeDefined();
    }
    for (const ip of [
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      'ff02::1',
      '::ffff:10.0.0.1',
      '::ffff:127.0.0.1',
      '::ffff:169.254.169.254',
      '64:ff9b::a00:1',
      '2002:a00:1::1',
      '2001::1',
    ]) {
      expect(refusalReason(ip), ip).toBeDefined();
    }
    for (const ip of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.215.14']) expect(refusalReason(ip), ip).toBeUndefined();
  });

  it('resolves before it allows, keeps only the addresses it checked, and allows loopback only on listed ports', async () => {
    const guard = new AddressGuard({ resolver: createResolver({ servers: [dns.address], timeoutMs: 1000 }), allowLoopbackPorts: [web.port] });
    await expect(guard.resolve('internal.test', 80)).rejects.toThrow(/private address \(10\.0\.0\.1\)/);
    await expect(guard.resolve('metadata.test', 80)).rejects.toThrow(/linkLocal address \(169\.254\.169\.254\)/);
    await expect(guard.resolve('mapped.test', 80)).rejects.toThrow(/::ffff:a00:1|::ffff:10\.0\.0\.1/);
    await expect(guard.resolve('acme.test', 443)).rejects.toThrow(/loopback/);
    expect(await guard.resolve('acme.test', web.port)).toEqual([{ address: '127.0.0.1', family: 4 }]);
    // A name with a private and an allowed address: the connection may only go to the allowed one.
    expect(await guard.resolve('mixed.test', web.port)).toEqual([{ address: '127.0.0.1', family: 4 }]);
  });
});

describe('website provider', () => {
  it('reads name, description, logo, image, socials, contact details and technologies from a home page', async () => {
    const v = values(await providers().get('website')!.call({ domain: 'acme.test' }, signal));
    expect(v).toMatchObject({
      'company.name': 'Acme Analytics',
      'company.description': 'Product analytics that tells sales who is ready to buy.',
      'company.logoUrl': 'https://cdn.acme.test/logo-512.png',
      'company.ogImage': `http://acme.test:${web.port}/assets/og-card.png`,
      'company.linkedinUrl': 'https://www.linkedin.com/company/acme-analytics',
      'company.githubUrl': 'https://github.com/acme-analytics',
      'company.twitterUrl': 'https://x.com/AcmeAnalytics',
      'company.facebookUrl': 'https://www.facebook.com/acmeanalytics',
      'company.email': 'sales@acme.test',
      'company.phone': '+1 415 555 0100',
    });
    expect(v['company.techStack']).toEqual(['Google Analytics', 'HubSpot', 'Intercom', 'WordPress', 'React', 'Cloudflare']);
  });

  it('tries HTTPS first and falls back to HTTP', async () => {
    const before = tls.connections();
    values(await providers().get('website')!.call({ domain: 'acme.test' }, signal));
    expect(tls.connections()).toBe(before + 1);
  });

  it('cleans a page title into a name, decodes a declared charset, and finds form and shop technologies', async () => {
    const v = values(await providers().get('website')!.call({ domain: 'globex.test' }, signal));
    expect(v['company.name']).toBe('Globex Corporation');
    expect(v['company.description']).toContain('Qualität aus München');
    expect(v['company.linkedinUrl']).toBe('https://www.linkedin.com/company/globex-corp');
    expect(v['company.techStack']).toEqual(['Klaviyo', 'Salesforce Web-to-Lead', 'Shopify', 'jQuery']);
  });

  it('follows a redirect to www and reads a JSON-LD Organization inside @graph', async () => {
    const v = values(await providers().get('website')!.call({ domain: 'initech.test' }, signal));
    expect(v).toMatchObject({
      'company.name': 'Initech',
      'company.description': 'TPS reports, done right.',
      'company.logoUrl': `http://www.initech.test:${web.port}/static/initech-logo.svg`,
      'company.email': 'hello@initech.test',
      'company.phone': '+49 30 1234567',
    });
    expect(v['company.techStack']).toEqual(['Next.js', 'React']);
  });

  it('answers no match for a domain without an address or without an HTML home page', async () => {
    const p = providers().get('website')!;
    expect(await p.call({ domain: 'nowhere.test' }, signal)).toMatchObject({ kind: 'no_match' });
    expect(await p.call({ domain: 'nomail.test' }, signal)).toMatchObject({ kind: 'no_match' });
  });
});

describe('SSRF guard on the website provider', () => {
  const blocked = async (domain: string, allow = true) => {
    const r = await providers({}, allow).get('website')!.call({ domain }, signal);
    expect(r, domain).toMatchObject({ kind: 'permanent', code: 'blocked_address' });
    return (r as { message: string }).message;
  };

  it('refuses a name that resolves to a private, link-local or IPv4-mapped private address, before connecting', async () => {
    expect(await blocked('internal.test')).toMatch(/internal\.test resolves to a private address/);
    expect(await blocked('metadata.test')).toMatch(/169\.254\.169\.254/);
    expect(await blocked('mapped.test')).toMatch(/private/);
  });

  it('re-checks every redirect: to 127.0.0.1, to a private name, to an IPv4-mapped metadata address', async () => {
    expect(await blocked('redirect.test')).toMatch(/127\.0\.0\.1 resolves to a loopback address/);
    expect(internal.requests).toEqual([]);
    expect(await blocked('redirect2.test')).toMatch(/internal\.test/);
    expect(await blocked('redirect6.test')).toMatch(/linkLocal/);
  });

  it('refuses loopback unless the unsafe test switch lists the port, and says so loudly when it does', async () => {
    await blocked('acme.test', false);
    const logs: string[] = [];
    const { config } = parseConfig({ providers: [{ id: 'website', kind: 'website' }], net: { allowLoopbackPorts: [web.port] } });
    buildProviders(config, { http: createHttpClient(), now: Date.now, log: (m) => logs.push(m) });
    expect(logs.join('\n')).toMatch(/WARNING: UNSAFE net\.allowLoopbackPorts/);
    const quiet: string[] = [];
    buildProviders(parseConfig({ providers: [{ id: 'website', kind: 'website' }] }).config, {
      http: createHttpClient(),
      now: Date.now,
      log: (m) => quiet.push(m),
    });
    expect(quiet).toEqual([]);
  });

  it('guards custom http providers whose URL takes its host from the row', async () => {
    const { config } = parseConfig({
      providers: [
        {
          id: 'wellknown',
          kind: 'http',
          input: 'domain',
          fields: ['company.name'],
          request: { url: `http://{{domain}}:${web.port}/` },
          response: { map: { 'company.name': '/name' } },
        },
      ],
      net: { dnsServers: [dns.address], allowLoopbackPorts: [web.port] },
    });
    const [p] = buildProviders(config, { http: createHttpClient(), now: Date.now });
    expect(await p!.call({ domain: 'internal.test' }, signal)).toMatchObject({ kind: 'permanent', code: 'blocked_address' });
    expect(await p!.call({ domain: 'redirect.test' }, signal)).toMatchObject({ kind: 'permanent', code: 'blocked_address' });
    // Allowed through the guard: acme.test answers HTML, which this JSON provider calls a bad answer, not a refusal.
    expect(await p!.call({ domain: 'acme.test' }, signal)).toMatchObject({ kind: 'transient', code: 'provider_bad_response' });
    expect(internal.requests).toEqual([]);
  });
});

describe('dns provider', () => {
  it('names the email host and the SaaS that SPF and verification records reveal', async () => {
    const p = providers().get('dns')!;
    expect(values(await p.call({ domain: 'acme.test' }, signal))).toEqual({
      'company.emailProvider': 'Google Workspace',
      'company.techStack': ['Google Workspace', 'SendGrid', 'Mailchimp', 'Google Search Console', 'Atlassian'],
    });
    expect(values(await p.call({ domain: 'globex.test' }, signal))).toEqual({
      'company.emailProvider': 'Microsoft 365',
      'company.techStack': ['Microsoft 365', 'Salesforce', 'Zendesk', 'HubSpot'],
    });
    expect(values(await p.call({ domain: 'initech.test' }, signal))).toEqual({ 'company.emailProvider': 'Self-hosted', 'company.techStack': ['DocuSign'] });
    expect(values(await p.call({ domain: 'zenbyte.test' }, signal))).toEqual({ 'company.emailProvider': 'Zoho Mail' });
    expect(values(await p.call({ domain: 'nomail.test' }, signal))).toEqual({ 'company.emailProvider': 'None' });
    expect(values(await p.call({ domain: 'nullmx.test' }, signal))).toEqual({ 'company.emailProvider': 'None' });
    expect(await p.call({ domain: 'nowhere.test' }, signal)).toMatchObject({ kind: 'no_match' });
  });
});

describe('email-check provider', () => {
  it('reports syntax, disposable, MX and role status, and never claims verified', async () => {
    const p = providers().get('email-check')!;
    const status = async (email: string) => values(await p.call({ email }, signal))['person.emailStatus'];
    expect(await status('jane.doe@acme.test')).toBe('mx_ok');
    expect(await status('info@acme.test')).toBe('role');
    expect(await status('sales+eu@globex.test')).toBe('role');
    expect(await status('bob@nomail.test')).toBe('no_mx');
    expect(await status('bob@nullmx.test')).toBe('no_mx');
    expect(await status('bob@nowhere.test')).toBe('no_mx');
    expect(await status('a..b@acme.test')).toBe('invalid_syntax');
    const asked = dns.queries.length;
    expect(await status('temp@mailinator.com')).toBe('disposable');
    // A disposable domain is known from the list: DNS is not asked.
    expect(dns.queries.length).toBe(asked);
  });

  it('asks DNS once for a column of addresses at one domain', async () => {
    const p = providers().get('email-check')!;
    const before = dns.queries.filter((q) => q === 'MX zenbyte.test').length;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => p.call({ email: `person${i}@zenbyte.test` }, signal)));
    expect(results.every((r) => values(r)['person.emailStatus'] === 'mx_ok')).toBe(true);
    expect(dns.queries.filter((q) => q === 'MX zenbyte.test').length - before).toBe(1);
  });
});
