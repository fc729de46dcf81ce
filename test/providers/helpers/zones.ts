import type { Zone } from './dnsServer.js';

/** Test domains: what each resolves to and what mail and TXT records it publishes. */
export const ZONES: Record<string, Zone> = {
  'acme.test': {
    A: ['127.0.0.1'],
    MX: [
      { preference: 5, exchange: 'alt1.aspmx.l.google.com' },
      { preference: 1, exchange: 'aspmx.l.google.com' },
    ],
    TXT: [
      'v=spf1 include:_spf.google.com include:sendgrid.net include:servers.mcsv.net ~all',
      'google-site-verification=abc123',
      'atlassian-domain-verification=xyz',
    ],
  },
  'globex.test': {
    A: ['127.0.0.1'],
    MX: [{ preference: 0, exchange: 'globex-test.mail.protection.outlook.com' }],
    TXT: [
      'v=spf1 include:spf.protection.outlook.com include:_spf.salesforce.com include:mail.zendesk.com -all',
      'hubspot-developer-verification=q1',
      'MS=ms12345678',
    ],
  },
  'initech.test': { A: ['127.0.0.1'], MX: [{ preference: 10, exchange: 'mx1.initech.test' }], TXT: ['docusign=5e2a'] },
  'www.initech.test': { A: ['127.0.0.1'] },
  'zenbyte.test': { A: ['127.0.0.1'], MX: [{ preference: 10, exchange: 'mx.zoho.eu' }] },
  'nomail.test': { A: ['127.0.0.1'] },
  'nullmx.test': { A: ['127.0.0.1'], MX: [{ preference: 0, exchange: '.' }] },
  'redirect.test': { A: ['127.0.0.1'] },
  'redirect2.test': { A: ['127.0.0.1'] },
  'redirect6.test': { A: ['127.0.0.1'] },
  // Names that must never be connected to: a private, a link-local (cloud metadata) and an IPv4-mapped private address.
  'internal.test': { A: ['10.0.0.1'] },
  'metadata.test': { A: ['169.254.169.254'] },
  'mapped.test': { AAAA: ['::ffff:10.0.0.1'] },
  'mixed.test': { A: ['10.0.0.1', '127.0.0.1'] },
};
