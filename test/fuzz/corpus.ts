import { Entries, JobRef, LeadRef, type FuzzRequest } from './requests.js';
import { Adv } from './strings.js';

/**
 * Known crashes from issue 16, as batches every run tries first (fast-check
 * `examples`), so `npm test` meets each of them whatever the seed. Each is a
 * job with one adversarial value in an otherwise valid body, followed by a
 * read of that job's results (the newest job: `JobRef(-1)`), which is where
 * some of them struck. Then the lead pipeline's routes (issue 18), so every
 * seed reaches each of them with a lead that runs every step. The random
 * batches then go on from there. Each case is half adversarial requests, as a
 * random batch is.
 */
const create = (input: Record<string, unknown>, key: unknown = '2', extra: [string, unknown][] = []): FuzzRequest => ({
  endpoint: 'POST /v1/jobs',
  method: 'POST',
  path: ['v1', 'jobs'],
  query: [],
  headers: [],
  auth: 'a',
  contentType: 'application/json',
  body: new Entries([
    // A field of every provider, so each input reaches its provider (and its answer the cache).
    ['fields', ['company.name', 'person.title', 'company.domain', 'person.email', 'person.location']],
    [
      'rows',
      [
        new Entries([
          ['key', key],
          ['input', new Entries(Object.entries(input))],
        ]),
        new Entries([
          ['key', '3'],
          ['input', new Entries([['domain', 'lead1.com']])],
        ]),
      ],
    ],
    ...extra,
  ]),
});

const lead = (input: Record<string, unknown>, key?: unknown, data?: [string, unknown][]) =>
  new Entries([
    ...(key === undefined ? [] : [['key', key] as const]),
    ['input', new Entries(Object.entries(input))],
    ...(data ? [['data', new Entries(data)] as const] : []),
  ]);

const submitLeads = (leads: Entries[]): FuzzRequest => ({
  endpoint: 'POST /v1/leads',
  method: 'POST',
  path: ['v1', 'leads'],
  query: [],
  headers: [],
  auth: 'a',
  contentType: 'application/json',
  body: new Entries([
    ['source', 'form'],
    ['leads', leads],
    ['deliver', true],
    ['notify', true],
  ]),
});

/** GET /v1/leads/{id} of the lead accepted last. */
const leadOfNewest = (): FuzzRequest => ({
  endpoint: 'GET /v1/leads/:id',
  method: 'GET',
  path: ['v1', 'leads', new LeadRef(-1)],
  query: [],
  headers: [],
  auth: 'a',
  contentType: null,
});

const replay = (filters: [string, unknown][]): FuzzRequest => ({
  endpoint: 'POST /v1/leads/replay',
  method: 'POST',
  path: ['v1', 'leads', 'replay'],
  query: [],
  headers: [],
  auth: 'a',
  contentType: 'application/json',
  body: new Entries(filters),
});

const resultsOfNewest: FuzzRequest = {
  endpoint: 'GET /v1/jobs/:id/results',
  method: 'GET',
  path: ['v1', 'jobs', new JobRef(-1, 'a'), 'results'],
  query: [],
  headers: [],
  auth: 'a',
  contentType: null,
};

export const KNOWN_CASES: { name: string; batch: FuzzRequest[] }[] = [
  { name: 'row key "\\ud800"', batch: [create({ domain: 'lead1.com' }, new Adv('\ud800')), resultsOfNewest] },
  { name: 'email "\\ud800@example.com", then its results', batch: [create({ email: new Adv('\ud800@example.com') }), resultsOfNewest] },
  { name: "domain of 79×'a' + '😀'", batch: [create({ domain: new Adv(`${'a'.repeat(79)}😀`) }), resultsOfNewest] },
  {
    name: 'company "Acme\\ud800" (the cache), then the same company again',
    batch: [create({ company: new Adv('Acme\ud800') }), resultsOfNewest, create({ company: new Adv('Acme\ud800') }), resultsOfNewest],
  },
  {
    name: 'linkedinUrl "https://www.linkedin.com/in/100%-sales"',
    batch: [create({ linkedinUrl: new Adv('https://www.linkedin.com/in/100%-sales') }), resultsOfNewest],
  },
  // Two keys that differ only after a NUL: each must come back as sent (SQLite text used to end at the NUL).
  {
    name: 'NUL in row keys',
    batch: [
      {
        ...create({ domain: 'lead1.com' }, new Adv('a\u0000b')),
        body: new Entries([
          ['fields', ['company.name']],
          [
            'rows',
            [
              new Entries([
                ['key', new Adv('a\u0000b')],
                ['input', new Entries([['domain', 'lead1.com']])],
              ]),
              new Entries([
                ['key', new Adv('a\u0000c')],
                ['input', new Entries([['domain', 'lead2.com']])],
              ]),
            ],
          ],
        ]),
      },
      resultsOfNewest,
    ],
  },
  {
    name: 'NUL in a sheet name',
    batch: [
      create({ domain: 'lead1.com' }, '2', [
        [
          'sheet',
          new Entries([
            ['spreadsheetId', 'fuzzbook'],
            ['sheetName', new Adv('Sheet\u00001')],
          ]),
        ],
        ['googleAccessToken', 'ya29.fuzz-token'],
      ]),
      resultsOfNewest,
    ],
  },
  // Issue 18: the lead pipeline's routes.
  {
    name: 'leads whose data carries a NUL and a lone surrogate, then the last one read back by its id',
    batch: [
      submitLeads([
        lead({ email: 'ada.lovelace@lead3.com', domain: 'lead3.com' }, 'sub.1', [
          ['company.name', new Adv('Acme\u0000Corp')],
          ['company.techStack', ['React', new Adv('Vue\ud800')]],
          ['company.employees', 500],
        ]),
        lead({ company: 'Acme' }),
      ]),
      leadOfNewest(),
    ],
  },
  {
    name: 'leads with a dot, a slash and a percent sign in their keys, then one read by a raw "%2E%2E" id',
    batch: [
      submitLeads([
        lead({ email: 'grace.hopper@lead4.io' }, 'a.b', [['company.techStack', ['react']]]),
        lead({ domain: 'lead5.de' }, 'a/b'),
        lead({ fullName: 'Zoë Brontë', domain: 'lead6.fr' }, '100%'),
      ]),
      { ...leadOfNewest(), path: ['v1', 'leads', new LeadRef(-1, 'lead', '', '%2E%2E')] },
    ],
  },
  {
    name: 'a job asking for lead fields with deliver and notify on, a row of it "Acme\\ud800", then its results',
    batch: [
      {
        ...create({ company: new Adv('Acme\ud800') }),
        body: new Entries([
          ['fields', ['company.name', 'lead.score', 'lead.qualified', 'lead.owner', 'lead.priority']],
          [
            'rows',
            [
              new Entries([
                ['key', '2'],
                ['input', new Entries([['company', new Adv('Acme\ud800')]])],
              ]),
              new Entries([
                ['key', '3'],
                ['input', new Entries([['domain', 'lead7.com']])],
              ]),
            ],
          ],
          [
            'pipeline',
            new Entries([
              ['deliver', true],
              ['notify', true],
            ]),
          ],
        ]),
      },
      resultsOfNewest,
    ],
  },
  {
    name: 'replay since the 30th of February, then replay of failed qualify steps since 2020',
    batch: [
      replay([['since', new Adv('2024-02-30T00:00:00Z')]]),
      replay([
        ['step', 'qualify'],
        ['since', '2020-01-01T00:00:00Z'],
      ]),
    ],
  },
];
