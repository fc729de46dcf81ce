/**
 * Runs the demo's sample leads (api/demo/sample-leads.csv) through the keyless
 * providers on the real server, against a fixture world on 127.0.0.1: every
 * sample domain gets DNS records and a home page chosen from the fixture
 * archetypes. There is no internet here, so the rates describe this fixture
 * world and the extractors on it, not the real domains.
 *
 *   npx tsx test/providers/measure/sampleLeads.ts
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WEBSITE_FIELDS } from '../../../api/providers/website/provider.js';
import { startWithConfig } from '../helpers/cascade.js';
import { startDnsServer, type Zone } from '../helpers/dnsServer.js';
import { page, startWebServer, type Route } from '../helpers/webServer.js';

const csv = readFileSync(fileURLToPath(new URL('../../../api/demo/sample-leads.csv', import.meta.url)), 'utf8')
  .trim()
  .split('\n')
  .slice(1);
const leads = csv.map((line, i) => {
  const [email, website] = line.split(',');
  return { key: String(i + 2), input: { ...(email?.trim() ? { email: email.trim() } : {}), ...(website?.trim() ? { domain: website.trim() } : {}) } };
});

const pick = <T>(domain: string, salt: string, options: [number, T][]): T => {
  const u = createHash('sha256').update(`${salt}:${domain}`).digest().readUInt32BE(0) / 2 ** 32;
  let acc = 0;
  for (const [share, v] of options) if (u < (acc += share)) return v;
  return options[options.length - 1]![1];
};

// The fixture world's mix: which archetype of home page and mail setup each domain gets.
const PAGES: [number, string | null][] = [
  [0.4, 'acme.html'],
  [0.25, 'globex.html'],
  [0.2, 'initech.html'],
  [0.15, null],
];
const MAIL: [number, Zone][] = [
  [
    0.45,
    {
      MX: [{ preference: 1, exchange: 'aspmx.l.google.com' }],
      TXT: ['v=spf1 include:_spf.google.com include:sendgrid.net ~all', 'google-site-verification=x'],
    },
  ],
  [
    0.3,
    {
      MX: [{ preference: 0, exchange: 'x.mail.protection.outlook.com' }],
      TXT: ['v=spf1 include:spf.protection.outlook.com include:_spf.salesforce.com -all', 'MS=ms1'],
    },
  ],
  [0.1, { MX: [{ preference: 10, exchange: 'mx.zoho.eu' }] }],
  [0.1, { MX: [{ preference: 10, exchange: 'mail.self' }] }],
  [0.05, {}],
];

async function main() {
  const domains = new Set<string>();
  for (const l of leads) {
    const d = (l.input.domain ?? l.input.email?.split('@')[1] ?? '')
      .toLowerCase()
      .replace(/^https?:\/\//, '')
      .replace(/^www\./, '')
      .replace(/\/.*$/, '');
    if (d) domains.add(d);
  }
  const zones: Record<string, Zone> = {};
  const sites: Record<string, Route> = {};
  for (const d of domains) {
    const mail = pick(d, 'mail', MAIL);
    zones[d] = { A: ['127.0.0.1'], ...mail, ...(mail.MX?.[0]?.exchange === 'mail.self' ? { MX: [{ preference: 10, exchange: `mail.${d}` }] } : {}) };
    zones[`www.${d}`] = { A: ['127.0.0.1'] };
    const file = pick(d, 'page', PAGES);
    if (file) sites[d] = sites[`www.${d}`] = page(file);
  }
  const dns = await startDnsServer(zones);
  const web = await startWebServer(sites);
  const app = await startWithConfig({
    providers: [
      { id: 'website', kind: 'website', urls: [`http://{{domain}}:${web.port}/`] },
      { id: 'dns', kind: 'dns' },
      { id: 'email-check', kind: 'email-check' },
    ],
    net: { dnsServers: [dns.address], allowLoopbackPorts: [web.port] },
  });
  // Every field the keyless providers give: the website's, the mail provider (DNS) and the email check.
  const fields = [...WEBSITE_FIELDS, 'company.emailProvider', 'person.emailStatus'];
  try {
    const { rows } = await app.runJob(fields, leads);
    const statuses: Record<string, number> = {};
    for (const r of rows) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    console.log(`${rows.length} sample leads, ${domains.size} distinct domains; row statuses ${JSON.stringify(statuses)}`);
    console.log(
      `fixture world: home pages ${PAGES.map(([s, f]) => `${f ?? 'none'} ${s * 100}%`).join(', ')}; mail ${MAIL.map(([s, z]) => `${z.MX?.[0]?.exchange ?? 'no MX'} ${s * 100}%`).join(', ')}`,
    );
    console.log('field                 filled  rate   by');
    for (const f of fields) {
      const filled = rows.filter((r: any) => r.values[f] !== undefined);
      const by = [...new Set(filled.map((r: any) => r.sources[f]))].join(', ');
      console.log(`${f.padEnd(22)}${String(filled.length).padStart(6)}  ${((100 * filled.length) / rows.length).toFixed(0).padStart(3)}%   ${by}`);
    }
    const emailRows = rows.filter((r: any) => r.values['person.emailStatus'] !== undefined);
    const dist: Record<string, number> = {};
    for (const r of emailRows) dist[r.values['person.emailStatus']] = (dist[r.values['person.emailStatus']] ?? 0) + 1;
    console.log(`person.emailStatus values: ${JSON.stringify(dist)}`);
    const { body } = await app.api('/v1/metrics?window=1d');
    for (const p of body.providers)
      console.log(
        `${p.provider}: calls ${p.calls}, matches ${p.matches}, match rate ${p.matchRate === null ? '-' : `${(100 * p.matchRate).toFixed(0)}%`}, cache hits ${p.cacheHits}, cost $${p.costUsd}`,
      );
    console.log(`home page requests: ${web.requests.length}; DNS questions: ${dns.queries.length}`);
  } finally {
    await app.stop();
    await web.close();
    await dns.close();
  }
}

await main();
