import { Entries, JobRef, type FuzzRequest } from './requests.js';
import { Adv } from './strings.js';

/**
 * Known crashes from issue 16, as batches every run tries first (fast-check
 * `examples`), so `npm test` meets each of them whatever the seed. Each is a
 * job with one adversarial value in an otherwise valid body, followed by a
 * read of that job's results (the newest job: `JobRef(-1)`), which is where
 * some of them struck. The random batches then go on from there.
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
];
