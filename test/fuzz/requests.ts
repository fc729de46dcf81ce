import fc from 'fast-check';
import { ENRICH_FIELDS, FIELD_NAMES, LEAD_FIELDS, LEAD_STEPS, LIMITS, RowStatusSchema } from '../../shared/index.js';
import { Adv, adversarialString, numberLikeString, slot, wrongTypeValue } from './strings.js';

/**
 * Request generators for every endpoint. Each generator takes `adv`: with it,
 * every string position (keys, input fields, field names, sheet names, column
 * refs, header values, query and path parameters, object keys) may carry an
 * adversarial value, and the request is kept only if at least one does; without
 * it, the request is well formed, so the engine really runs rows, fills the
 * cache and writes metrics that later reads go through.
 *
 * A request is a description, not bytes: job ids are `JobRef`s resolved when it
 * is sent (to a job this run created), so a shrunk counterexample still points
 * at a real job.
 */

/** The n-th job of the run, modulo how many there are; workspace `b` is another tenant's job (expect 404). */
export class JobRef {
  constructor(
    readonly n: number,
    readonly workspace: 'a' | 'b',
  ) {}
  toString() {
    return `JobRef(${this.workspace}#${this.n})`;
  }
}

/**
 * A lead id in a path: the n-th lead this run had accepted (workspace a's: b has no pipeline), modulo how many, in one of
 * its near-valid forms. `lead`: the id as accepted; `job`: its job's id alone (no dot, so no key); `job-dot`: the job's id
 * and a dot (an empty key); `job-row`: the n-th plain job and row key 2 (a row that is no lead). `tail` is appended as
 * text (percent-encoded like the rest), `rawTail` verbatim, unencoded (`%zz`, `%2E`, `%00`).
 */
export class LeadRef {
  constructor(
    readonly n: number,
    readonly form: 'lead' | 'job' | 'job-dot' | 'job-row' = 'lead',
    readonly tail: Str = '',
    readonly rawTail = '',
  ) {}
  toString() {
    return `LeadRef(#${this.n} ${this.form}${this.tail ? ` + ${String(this.tail)}` : ''}${this.rawTail ? ` + raw ${JSON.stringify(this.rawTail)}` : ''})`;
  }
}

/** An object whose keys may be adversarial themselves; entries keep their order. */
export class Entries {
  constructor(readonly entries: readonly (readonly [string | Adv, unknown])[]) {}
}

/** A body sent as these bytes (not JSON, truncated JSON, invalid UTF-8). `adversarial`: whether it carries an adversarial string. */
export class RawBody {
  constructor(
    readonly bytes: Buffer,
    readonly adversarial: boolean,
  ) {}
  toString() {
    return `RawBody(${JSON.stringify(this.bytes.toString('latin1').slice(0, 120))}${this.bytes.length > 120 ? `…${this.bytes.length} bytes` : ''})`;
  }
}

/** A path segment sent verbatim, unencoded (`%zz`, `%ED%A0%80`, `..`). */
export class RawSegment {
  constructor(readonly text: string) {}
  toString() {
    return `RawSegment(${JSON.stringify(this.text)})`;
  }
}

export type Str = string | Adv;
export type PathPart = Str | JobRef | LeadRef | RawSegment;

export interface FuzzRequest {
  /** The endpoint it aims at, for the histogram. */
  endpoint: string;
  method: string;
  path: PathPart[];
  query: (readonly [Str, Str | JobRef])[];
  headers: (readonly [string, Str])[];
  /** `a`/`b`: a valid key of workspace a/b; `none`: no header; a string or Adv: the header's whole value. */
  auth: 'a' | 'b' | 'none' | Str;
  contentType: string | null;
  body?: unknown;
}

// ---------------------------------------------------------------- valid values

const TLDS = ['com', 'io', 'co.uk', 'de', 'fr', 'jp'] as const;
const validDomainName = fc
  .record({ n: fc.integer({ min: 0, max: 30 }), tld: fc.constantFrom(...TLDS), idn: fc.boolean() })
  .map(({ n, tld, idn }) => `${idn ? 'münchen' : 'lead'}${n}.${tld}`);
export const validDomain = fc
  .tuple(validDomainName, fc.constantFrom('', 'www.', 'https://', 'https://www.', 'info@'), fc.constantFrom('', '/about', '/?q=1'))
  .map(([d, pre, post]) => (pre.endsWith('@') ? `${pre}${d}` : `${pre}${d}${pre.includes('/') ? post : ''}`));
const FIRST = ['Ada', 'Grace', 'José', 'Zoë', 'Søren', 'Li', 'Nnamdi'] as const;
const LAST = ['Lovelace', 'Hopper', 'Núñez', 'Brontë', 'Kierkegaard', 'Wei', 'Okafor'] as const;
export const validEmail = fc
  .tuple(fc.constantFrom(...FIRST), fc.constantFrom(...LAST), fc.oneof(validDomainName, fc.constantFrom('gmail.com', 'example.com')))
  .map(([f, l, d]) => `${f.toLowerCase().replace(/[^a-z]/g, 'x')}.${l.toLowerCase().replace(/[^a-z]/g, 'x')}@${d}`);
const validFirst = fc.constantFrom(...FIRST);
const validLast = fc.constantFrom(...LAST);
const validFull = fc.tuple(validFirst, validLast).map(([f, l]) => `${f} ${l}`);
const validCompany = fc.constantFrom('Acme', 'Globex GmbH', 'Société Générale', 'Initech Inc.', '株式会社テスト', 'Umbrella');
const validLinkedin = fc
  .tuple(
    fc.constantFrom('https://www.linkedin.com/in/', 'linkedin.com/company/', 'https://linkedin.com/pub/'),
    fc.constantFrom('ada-lovelace', 'grace-hopper', 'acme', 'jose-nunez-42'),
  )
  .map(([a, b]) => a + b);
const validKey = fc.oneof(fc.integer({ min: 2, max: 100_000 }).map(String), fc.integer({ min: -5, max: 100_000 }));
const validFieldName = fc.constantFrom(...FIELD_NAMES);
/** Fields the configured providers supply are likelier, so rows really go through the waterfall. */
const SUPPLIED = [
  'company.name',
  'company.employees',
  'company.industry',
  'person.fullName',
  'person.title',
  'person.email',
  'company.domain',
  'company.country',
  'person.location',
] as const;
const validFields = fc.oneof(fc.subarray([...SUPPLIED], { minLength: 1, maxLength: 4 }), fc.subarray([...FIELD_NAMES], { minLength: 1, maxLength: 3 }));
const validColumnRef = fc.constantFrom('F', 'AB', 'Company', 'Cascade status', 'Employees (count)');
export const FUZZ_SPREADSHEET = 'fuzzbook';
export const FUZZ_SHEET = 'Sheet1';
export const FUZZ_TOKEN = 'ya29.fuzz-token';
const validToken = fc.constantFrom(FUZZ_TOKEN, 'ya29.revoked-token');
const validIdemKey = fc.integer({ min: 1, max: 6 }).map((n) => `idem-${n}`);
const validStatus = fc.constantFrom(...RowStatusSchema.options);

// ---------------------------------------------------------------- composites

/** A number position: valid numbers, or (adversarial) numbers as strings, non-numbers, and raw numerals JSON.parse turns into Infinity or -0. */
function numberSlot(valid: fc.Arbitrary<number>, adv: boolean): fc.Arbitrary<unknown> {
  if (!adv) return valid;
  return fc.oneof(
    valid,
    numberLikeString.map((s) => new Adv(s)),
    wrongTypeValue,
    fc.constantFrom('1e999', '-1e999', '-0', '1.0000000000000002', '1e-400', '123456789012345678901234567890').map((raw) => new Adv(null, raw)),
  );
}

/** Optional entries: each present or not; `extra` adds an unknown (possibly adversarial) key, which strict schemas refuse. */
function entries(adv: boolean, required: [string, fc.Arbitrary<unknown>][], optional: [string, fc.Arbitrary<unknown>][]): fc.Arbitrary<Entries> {
  const opt = optional.map(([k, a]) =>
    fc.option(
      a.map((v) => [k, v] as const),
      { nil: undefined, freq: 2 },
    ),
  );
  // An unknown key in one object of 20: enough to probe strict schemas without refusing most adversarial bodies outright.
  const extra = adv
    ? fc.oneof(
        { weight: 19, arbitrary: fc.constant(undefined) },
        {
          weight: 1,
          arbitrary: fc.tuple(
            adversarialString.map((s) => new Adv(s)),
            adversarialString,
          ),
        },
      )
    : fc.constant(undefined);
  return fc
    .tuple(fc.tuple(...required.map(([k, a]) => a.map((v) => [k, v] as const))), fc.tuple(...opt), extra)
    .map(([req, o, x]) => new Entries([...req, ...o.filter((e): e is readonly [string, unknown] => e !== undefined), ...(x ? [x] : [])]));
}

function fieldsArb(adv: boolean): fc.Arbitrary<unknown> {
  if (!adv) return validFields;
  return fc.oneof(
    fc.tuple(validFields, slot(validFieldName, true), fc.nat()).map(([f, bad, i]) => {
      const out: unknown[] = [...f];
      out.splice(i % (out.length + 1), 0, bad);
      return out;
    }),
    slot(validFieldName, true),
    fc.constant([...FIELD_NAMES, ...FIELD_NAMES.slice(0, 10)]),
  );
}

function inputArb(adv: boolean): fc.Arbitrary<unknown> {
  const s = (a: fc.Arbitrary<string>) => slot(a, adv);
  const all: [string, fc.Arbitrary<unknown>][] = [
    ['email', s(validEmail)],
    ['domain', s(validDomain)],
    ['firstName', s(validFirst)],
    ['lastName', s(validLast)],
    ['fullName', s(validFull)],
    ['company', s(validCompany)],
    ['linkedinUrl', s(validLinkedin)],
  ];
  // One to three of the inputs a row may carry, plus (adversarial) an unknown key.
  return fc
    .tuple(fc.subarray(all, { minLength: 1, maxLength: 3 }), fc.nat())
    .chain(([chosen]) => entries(adv, chosen, []))
    .chain((e) => (adv ? fc.oneof({ arbitrary: fc.constant(e), weight: 20 }, { arbitrary: wrongTypeValue, weight: 1 }) : fc.constant(e)));
}

function rowArb(adv: boolean): fc.Arbitrary<unknown> {
  const row = entries(
    adv,
    [
      ['key', slot(validKey as fc.Arbitrary<string>, adv)],
      ['input', inputArb(adv)],
    ],
    [],
  );
  return adv ? fc.oneof({ arbitrary: row, weight: 20 }, { arbitrary: wrongTypeValue, weight: 1 }) : row;
}

/** A few rows; rarely a bulk batch (up to and past the 5,000-row limit) of one valid row repeated under distinct keys. */
function rowsArb(adv: boolean, minLength = 0): fc.Arbitrary<unknown> {
  const few = fc.array(rowArb(adv), { minLength, maxLength: 6 });
  const bulk = fc.tuple(inputArb(false), fc.constantFrom(200, 5000, 5001)).map(([input, n]) =>
    Array.from(
      { length: n },
      (_, i) =>
        new Entries([
          ['key', String(i + 2)],
          ['input', input],
        ]),
    ),
  );
  return fc.oneof(
    { arbitrary: few, weight: 150 },
    { arbitrary: bulk, weight: 1 },
    ...(adv ? [{ arbitrary: wrongTypeValue as fc.Arbitrary<unknown>, weight: 3 }] : []),
  );
}

function sheetArb(adv: boolean): fc.Arbitrary<unknown> {
  const s = (a: fc.Arbitrary<string>) => slot(a, adv);
  const columns = fc.array(fc.tuple(slot(validFieldName, adv), s(validColumnRef)), { maxLength: 3 }).map((pairs) => new Entries(pairs));
  return entries(
    adv,
    [
      ['spreadsheetId', s(fc.constantFrom(FUZZ_SPREADSHEET, 'no-such-book'))],
      ['sheetName', s(fc.constantFrom(FUZZ_SHEET, 'Leads'))],
    ],
    [
      ['headerRow', numberSlot(fc.integer({ min: 1, max: 3 }), adv)],
      ['columns', columns],
      ['statusColumn', s(validColumnRef)],
      ['userKey', s(fc.constantFrom('user-1', 'user-2'))],
    ],
  );
}

/** A job id in a path or query: a job of this run, another workspace's job, an unknown id; adversarial: any string, or a raw (unencoded) segment. */
function jobIdArb(adv: boolean): fc.Arbitrary<PathPart> {
  const valid = fc.oneof(
    { arbitrary: fc.record({ n: fc.nat(), ws: fc.constantFrom('a', 'a', 'a', 'b') }).map(({ n, ws }) => new JobRef(n, ws as 'a' | 'b')), weight: 6 },
    { arbitrary: fc.constantFrom('job_doesnotexist', '0', 'x'.repeat(100)), weight: 1 },
  );
  if (!adv) return valid;
  return fc.oneof(
    adversarialString.map((s) => new Adv(s)),
    fc.constantFrom('%zz', '%ED%A0%80', '%00', '%F0%9F%98', '..', '%2F..%2F', '%C0%AF').map((t) => new RawSegment(t)),
  );
}

function queryArb(adv: boolean, params: [string, fc.Arbitrary<Str | JobRef>][]): fc.Arbitrary<(readonly [Str, Str | JobRef])[]> {
  const opt = params.map(([k, a]) =>
    fc.option(
      a.map((v) => [k, v] as const),
      { nil: undefined },
    ),
  );
  const extra = adv
    ? fc.array(fc.tuple(slot(fc.constantFrom(...params.map(([k]) => k), 'unknown'), true), slot(fc.constantFrom('1', ''), true)), { maxLength: 2 })
    : fc.constant([]);
  return fc.tuple(fc.tuple(...opt), extra).map(([o, x]) => [...o.filter((e) => e !== undefined), ...x] as (readonly [Str, Str | JobRef])[]);
}

/** Authorization: mostly workspace a's key; adversarial: `Bearer <adversarial>` or an adversarial whole header. */
function authArb(adv: boolean): fc.Arbitrary<FuzzRequest['auth']> {
  if (!adv) return fc.oneof({ arbitrary: fc.constant('a' as const), weight: 9 }, { arbitrary: fc.constant('b' as const), weight: 1 });
  return fc.oneof(
    { arbitrary: fc.constant('a' as const), weight: 12 },
    { arbitrary: adversarialString.map((s) => new Adv(`Bearer ${s}`)), weight: 1 },
    { arbitrary: adversarialString.map((s) => new Adv(s)), weight: 1 },
  );
}

const JSON_TYPE = 'application/json';

interface Shape {
  endpoint: string;
  method: string;
  path: fc.Arbitrary<PathPart[]>;
  query?: fc.Arbitrary<FuzzRequest['query']>;
  headers?: fc.Arbitrary<FuzzRequest['headers']>;
  body?: fc.Arbitrary<unknown>;
  auth?: boolean;
}

function request(adv: boolean, s: Shape): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      path: s.path,
      query: s.query ?? fc.constant<FuzzRequest['query']>([]),
      headers: s.headers ?? fc.constant<FuzzRequest['headers']>([]),
      body: s.body ?? fc.constant<unknown>(undefined),
      auth: s.auth === false ? fc.constant<FuzzRequest['auth']>('none') : authArb(adv),
    })
    .map(({ path, query, headers, body, auth }) => ({
      endpoint: s.endpoint,
      method: s.method,
      path,
      query,
      headers,
      auth,
      contentType: body === undefined ? null : JSON_TYPE,
      body,
    }));
}

const fixed = (...parts: PathPart[]) => fc.constant(parts);
const jobPath = (adv: boolean, ...tail: string[]) => jobIdArb(adv).map((id) => ['v1', 'jobs', id, ...tail] as PathPart[]);

// ---------------------------------------------------------------- MCP (JSON-RPC at /mcp)

const MCP_PROTOCOL_VERSIONS = ['2025-06-18', '2025-03-26', '2025-11-25'] as const;
/** What an SDK client sends: both media types, and (after initialize) the negotiated protocol version. */
const MCP_ACCEPT = 'application/json, text/event-stream';

/**
 * A tool's arguments, shaped as the tool takes them. Job ids are unknown or
 * adversarial: a body cannot carry a JobRef (those resolve only in paths and
 * queries), so real jobs are read through /mcp in test/mcp.test.ts.
 */
function mcpToolArgs(adv: boolean): fc.Arbitrary<readonly [Str, unknown]> {
  const s = (a: fc.Arbitrary<string>) => slot(a, adv);
  const jobId = s(fc.constantFrom('job_doesnotexist', '0', 'x'.repeat(100), 'x'.repeat(101)));
  const tool = (name: string, args: fc.Arbitrary<unknown>) => fc.tuple(s(fc.constant(name)), args);
  return fc.oneof(
    // Short deadlines, as for POST /v1/enrich: the requests go one at a time.
    tool(
      'enrich_row',
      entries(
        adv,
        [
          ['input', inputArb(adv)],
          ['fields', fieldsArb(adv)],
        ],
        [
          ['deadlineMs', numberSlot(fc.integer({ min: 50, max: 300 }), adv)],
          ['predict', fc.boolean()],
        ],
      ),
    ),
    tool(
      'estimate_column',
      entries(
        adv,
        [
          ['fields', fieldsArb(adv)],
          ['inputs', fc.array(inputArb(adv), { minLength: 1, maxLength: 5 })],
        ],
        [],
      ),
    ),
    tool(
      'start_job',
      entries(
        adv,
        [
          ['fields', fieldsArb(adv)],
          ['rows', rowsArb(adv)],
        ],
        [
          ['maxCostUsd', numberSlot(fc.constantFrom(0, 0.001, 0.05, 10), adv)],
          ['predict', fc.boolean()],
        ],
      ),
    ),
    tool('job_progress', entries(adv, [['jobId', jobId]], [])),
    tool(
      'job_results',
      entries(
        adv,
        [['jobId', jobId]],
        [
          ['after', s(fc.constantFrom('0', '1', '100'))],
          ['limit', numberSlot(fc.constantFrom(1, 2, 500, 5000), adv)],
          ['status', s(validStatus)],
        ],
      ),
    ),
    // A tool the server does not have.
    tool('delete_everything', fc.constant(new Entries([]))),
  );
}

/** One JSON-RPC message as an SDK client sends it: initialize, the initialized notification, ping, tools/list, tools/call, and methods the server lacks. */
function mcpMessage(adv: boolean): fc.Arbitrary<Entries> {
  const s = (a: fc.Arbitrary<string>) => slot(a, adv);
  const id = adv ? fc.oneof(fc.integer({ min: 0, max: 1000 }), s(fc.constantFrom('req-1', 'a'))) : fc.integer({ min: 0, max: 1000 });
  const call = (method: Str, params?: unknown) =>
    fc
      .tuple(s(fc.constant('2.0')), id)
      .map(([v, i]) => new Entries([['jsonrpc', v], ['id', i], ['method', method], ...(params === undefined ? [] : [['params', params] as const])]));
  const initParams = fc.tuple(s(fc.constantFrom(...MCP_PROTOCOL_VERSIONS, '1999-01-01')), s(fc.constantFrom('claude-desktop', 'cursor'))).map(
    ([version, name]) =>
      new Entries([
        ['protocolVersion', version],
        ['capabilities', new Entries([])],
        [
          'clientInfo',
          new Entries([
            ['name', name],
            ['version', '1.0.0'],
          ]),
        ],
      ]),
  );
  return fc.oneof(
    {
      weight: 12,
      arbitrary: mcpToolArgs(adv).chain(([name, args]) =>
        call(
          'tools/call',
          new Entries([
            ['name', name],
            ['arguments', args],
          ]),
        ),
      ),
    },
    { weight: 2, arbitrary: initParams.chain((p) => call('initialize', p)) },
    { weight: 2, arbitrary: call('tools/list') },
    { weight: 1, arbitrary: call('ping') },
    {
      weight: 1,
      arbitrary: s(fc.constant('notifications/initialized')).map(
        (m) =>
          new Entries([
            ['jsonrpc', '2.0'],
            ['method', m],
          ]),
      ),
    },
    {
      weight: 2,
      arbitrary: s(fc.constantFrom('resources/list', 'prompts/get', 'tools/destroy', 'logging/setLevel', 'completion/complete', 'tasks/list')).chain((m) =>
        call(m, new Entries([])),
      ),
    },
  );
}

/** POST /mcp: one JSON-RPC message, with the headers an SDK client sends (some of them adversarial). */
function mcpShape(adv: boolean): Shape {
  const s = (a: fc.Arbitrary<string>) => slot(a, adv);
  const headers = fc
    .tuple(
      s(fc.constantFrom(MCP_ACCEPT, 'application/json', 'text/event-stream', '*/*')),
      fc.option(s(fc.constantFrom(...MCP_PROTOCOL_VERSIONS)), { nil: undefined }),
      fc.option(s(fc.constant('sess-1')), { nil: undefined, freq: 8 }),
    )
    .map(([accept, version, session]) => [
      ['accept', accept] as const,
      ...(version === undefined ? [] : [['mcp-protocol-version', version] as const]),
      ...(session === undefined ? [] : [['mcp-session-id', session] as const]),
    ]);
  return { endpoint: 'POST /mcp', method: 'POST', path: fixed('mcp'), headers, body: mcpMessage(adv) };
}

/**
 * JSON that parses but is not one MCP message: a batch (refused), the wrong
 * version, an id of the wrong type, params that are not an object, a result
 * with no request, an empty object. Sent with the headers an SDK client sends.
 */
export function mcpMalformedRequest(): fc.Arbitrary<FuzzRequest> {
  return fc
    .constantFrom(
      '[]',
      '[{"jsonrpc":"2.0","id":1,"method":"ping"}]',
      '[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"enrich_row","arguments":{"input":{"domain":"lead1.com"},"fields":["company.name"],"deadlineMs":100}}},{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}]',
      '{}',
      '{"jsonrpc":"1.0","id":1,"method":"ping"}',
      '{"jsonrpc":"2.0","id":null,"method":"ping"}',
      '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[]}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"enrich_row"}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"enrich_row","arguments":"domain=lead1.com"}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"job_results","arguments":{"jobId":"x","limit":"1e999"}}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"enrich_row","arguments":{},"task":{"ttl":1}}}',
      '{"jsonrpc":"2.0","id":1,"result":{}}',
      '{"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"x"}}',
      '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}',
      '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}',
    )
    .map((text) => ({
      endpoint: 'POST /mcp (malformed JSON-RPC)',
      method: 'POST',
      path: ['mcp'],
      query: [],
      headers: [['accept', MCP_ACCEPT]],
      auth: 'a' as const,
      contentType: JSON_TYPE,
      body: new RawBody(Buffer.from(text), false),
    }));
}

// ---------------------------------------------------------------- the lead pipeline (issue 18)

/** Valid sources; the 32-character one is the longest the schema takes. */
const validSource = fc.constantFrom('form', 'import', 'crm', 'clay', 'web', 'hubspot_sync', 'partner-2', `s${'x'.repeat(31)}`);
/** Sources one character off the schema: capitals, a leading digit or underscore, 33 characters, a space, a dot, a slash, an accent, empty. */
const nearSource = fc.constantFrom('Form', '1form', '_form', `s${'x'.repeat(32)}`, 'form ', ' form', 'form.web', 'form/web', 'fórm', '', 'FORM', 'form\u0000');

function sourceArb(adv: boolean): fc.Arbitrary<Str> {
  if (!adv) return validSource;
  return fc.oneof({ weight: 12, arbitrary: slot(validSource, true) }, { weight: 1, arbitrary: nearSource.map((x) => new Adv(x)) });
}

/**
 * A lead's key as a caller sends it: numbers, a form submission's id, and keys that make its lead id (`<job>.<key>`)
 * interesting in a path: dots (the id splits at the first), a slash, a percent sign, `%2F` as text, spaces, non-ASCII,
 * the longest key (200). All valid: the API takes them, and must give each lead back by its id.
 */
const validLeadKey = fc.oneof(
  { weight: 3, arbitrary: validKey.map(String) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'sub_8f2a',
      'a.b',
      'sub.2024.01.07',
      '.leading',
      'trailing.',
      '..',
      'ada@lead1.com',
      'crm:0031',
      'a/b',
      '100%',
      'a%2Fb',
      'a b',
      'é.ü',
      '😀.1',
      'x'.repeat(200),
      `${'.'.repeat(199)}x`,
    ),
  },
);

/** Values the pipeline's rules read, by field: numbers for counts, a list for the tech stack, text for the rest. */
const VALID_DATA: Partial<Record<(typeof ENRICH_FIELDS)[number], fc.Arbitrary<unknown>>> = {
  'company.name': validCompany,
  'company.employees': fc.oneof(fc.integer({ min: 0, max: 200_000 }), fc.constantFrom(5, 10, 200, 199)),
  'company.revenue': fc.integer({ min: 0, max: 10_000_000_000 }),
  'company.founded': fc.integer({ min: 1800, max: 2030 }),
  'company.industry': fc.constantFrom('Software', 'SaaS', 'Fintech', 'Retail', 'software'),
  'company.techStack': fc.subarray(['React', 'react', 'Vue', 'Stripe', 'react-native', 'HubSpot'], { maxLength: 4 }),
  'company.country': fc.constantFrom('DE', 'FR', 'GB', 'US', 'de'),
  'person.title': fc.constantFrom('VP Sales', 'CTO', 'Head of Growth', ''),
  'person.email': validEmail,
  'person.fullName': validFull,
};
const DATA_FIELDS = Object.keys(VALID_DATA) as (keyof typeof VALID_DATA)[];

/** A value `data` must refuse (or take and cope with): past FieldValue's caps, a non-finite numeral, an object, null, nested lists. */
const badDataValue: fc.Arbitrary<Adv> = fc.oneof(
  wrongTypeValue,
  fc.constantFrom(
    new Adv('a'.repeat(4000)),
    new Adv('a'.repeat(4001)),
    new Adv(Array.from({ length: 100 }, (_, i) => `t${i}`)),
    new Adv(Array.from({ length: 101 }, (_, i) => `t${i}`)),
    new Adv(['x'.repeat(500)]),
    new Adv(['x'.repeat(501)]),
    new Adv([['React']]),
    new Adv([1, 2]),
    new Adv(null, 'NaN'),
    new Adv(null, '1e999'),
    new Adv(null, '-0'),
    new Adv(null, '1e-400'),
  ),
);

/**
 * A lead's `data` (fields enriched elsewhere). Adversarial: values of the wrong type, past the caps, carrying lone
 * surrogates or NULs (strings go through `slot`), and keys that are no enrich field: a `lead.*` field (made by the
 * pipeline, never given), an unknown field, `__proto__`, any adversarial string.
 */
function leadDataArb(adv: boolean): fc.Arbitrary<Entries> {
  const dataValue = (f: (typeof DATA_FIELDS)[number]) => {
    const v = VALID_DATA[f]!;
    if (!adv) return v;
    const asText = fc.constantFrom('Acme', 'React', '500');
    return fc.oneof(
      { weight: 10, arbitrary: v },
      { weight: 1, arbitrary: slot(asText, true) },
      { weight: 1, arbitrary: badDataValue as fc.Arbitrary<unknown> },
      // NUL and a lone surrogate inside text the pipeline passes on (to the model, HubSpot, Slack, the webhook).
      { weight: 1, arbitrary: fc.constantFrom('Acme\u0000Corp', 'Acme\ud800', '\udfffReact', 'a\u0000').map((x) => new Adv(x)) },
    );
  };
  const chosen = fc.subarray(DATA_FIELDS, { minLength: 1, maxLength: 4 });
  const valid = chosen.chain((fs) => fc.tuple(...fs.map((f) => dataValue(f).map((v) => [f, v] as const))));
  if (!adv) return valid.map((e) => new Entries(e));
  const badKey = fc.oneof(
    fc.constantFrom(...LEAD_FIELDS).map((f) => new Adv(f)),
    fc.constantFrom('company.foo', 'lead', 'score', '__proto__', 'constructor', 'company.name ', 'Company.Name').map((k) => new Adv(k)),
    adversarialString.map((k) => new Adv(k)),
  );
  const extra = fc.option(fc.tuple(badKey, fc.oneof(fc.constantFrom(42, 'x', true), VALID_DATA['company.techStack']!)), { nil: undefined, freq: 4 });
  return fc.tuple(valid, extra).map(([e, x]) => new Entries(x ? [...e, x] : e));
}

function leadArb(adv: boolean): fc.Arbitrary<unknown> {
  const lead = entries(
    adv,
    [['input', inputArb(adv)]],
    [
      ['key', slot(validLeadKey, adv)],
      ['data', leadDataArb(adv)],
    ],
  );
  return adv ? fc.oneof({ arbitrary: lead, weight: 20 }, { arbitrary: wrongTypeValue, weight: 1 }) : lead;
}

/** Leads whose keys repeat (one another's, or a keyless lead's position) get a suffix `~<index>`: a duplicate is refused. */
function uniqueLeadKeys(leads: unknown[]): unknown[] {
  const seen = new Set<string>();
  return leads.map((lead, i) => {
    if (!(lead instanceof Entries)) return lead;
    const at = lead.entries.findIndex(([k]) => k === 'key');
    const key = at < 0 ? String(i + 1) : String(lead.entries[at]![1]);
    if (!seen.has(key)) {
      seen.add(key);
      return lead;
    }
    // Within the 200-character limit of a key.
    const unique = `${key.slice(0, 190)}~${i}`;
    seen.add(unique);
    return new Entries(at < 0 ? [['key', unique], ...lead.entries] : lead.entries.map((e, j) => (j === at ? (['key', unique] as const) : e)));
  });
}

/**
 * A few leads; rarely a bulk batch up to and past the 5,000-lead limit: one input repeated (a storm of duplicates of
 * one identity, each waiting on its holder), 200 distinct emails at one domain, and (adversarial) 4,999 valid leads and
 * one bad one last, so the refusal must come after the whole body was read and checked.
 */
function leadsArb(adv: boolean): fc.Arbitrary<unknown> {
  // Well formed: keys made unique (a lead without one is keyed by its position), so the batch is accepted.
  const few = fc.array(leadArb(adv), { minLength: 1, maxLength: 6 }).map((leads) => (adv ? leads : uniqueLeadKeys(leads)));
  const same = fc.tuple(inputArb(false), fc.constantFrom(LIMITS.rowsPerRequest, LIMITS.rowsPerRequest + 1)).map(([input, n]) =>
    Array.from(
      { length: n },
      (_, i) =>
        new Entries([
          ['key', `bulk-${i}`],
          ['input', input],
        ]),
    ),
  );
  const distinct = fc.integer({ min: 0, max: 1000 }).map((seed) =>
    Array.from(
      { length: 200 },
      (_, i) =>
        new Entries([
          ['key', i + 1],
          ['input', new Entries([['email', `buyer${i}.${seed}@lead${seed % 31}.com`]])],
          ['data', new Entries([['company.employees', (i * 37) % 1000]])],
        ]),
    ),
  );
  const lastBad = fc.tuple(inputArb(false), leadArb(true)).map(([input, bad]) => [
    ...Array.from(
      { length: LIMITS.rowsPerRequest - 1 },
      (_, i) =>
        new Entries([
          ['key', `ok-${i}`],
          ['input', input],
        ]),
    ),
    bad,
  ]);
  return fc.oneof(
    { arbitrary: few, weight: 150 },
    { arbitrary: same, weight: 1 },
    { arbitrary: distinct, weight: 1 },
    ...(adv
      ? [
          { arbitrary: lastBad as fc.Arbitrary<unknown>, weight: 1 },
          { arbitrary: fc.constant([]) as fc.Arbitrary<unknown>, weight: 2 },
          { arbitrary: wrongTypeValue as fc.Arbitrary<unknown>, weight: 3 },
        ]
      : []),
  );
}

/** A boolean option: adversarially, now and then a string, a number or null where the boolean goes. */
function boolSlot(adv: boolean): fc.Arbitrary<unknown> {
  if (!adv) return fc.boolean();
  return fc.oneof({ weight: 12, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom(new Adv('true'), new Adv(1), new Adv(0), new Adv(null)) });
}

/** Fields a lead submission may ask for besides the pipeline's: enrich fields only; adversarially a `lead.*` one, an unknown one, or 41. */
function leadFieldsArb(adv: boolean): fc.Arbitrary<unknown> {
  const valid = fc.subarray([...SUPPLIED], { maxLength: 3 });
  if (!adv) return valid;
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(valid, slot(fc.constantFrom(...ENRICH_FIELDS), true)).map(([f, x]) => [...f, x]) },
    { weight: 2, arbitrary: fc.tuple(valid, fc.constantFrom(...LEAD_FIELDS)).map(([f, x]) => [...f, new Adv(x)]) },
    { weight: 1, arbitrary: fc.constant([...ENRICH_FIELDS, ...ENRICH_FIELDS].slice(0, LIMITS.fieldsPerJob + 1)) },
  );
}

/** `POST /v1/leads`: a source, leads, and the optional fields, deliver and notify. */
function submitLeadsBody(adv: boolean): fc.Arbitrary<Entries> {
  return entries(
    adv,
    [
      ['source', sourceArb(adv)],
      ['leads', leadsArb(adv)],
    ],
    [
      ['fields', leadFieldsArb(adv)],
      ['deliver', boolSlot(adv)],
      ['notify', boolSlot(adv)],
    ],
  );
}

/** RFC 3339 datetimes with and without fractions and offsets, from the epoch's start to far ahead: each a valid filter. */
const validDatetime = fc.constantFrom(
  '2020-01-01T00:00:00Z',
  '1970-01-01T00:00:00+00:00',
  '2030-06-15T12:00:00.123+02:00',
  '2099-12-31T23:59:59.999999999-12:00',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
);
/** Datetimes that are not, or only nearly: no offset, a 30th of February, a leap second, month 13, offset +25:00, a bare date, six-digit years, a Unix time, words. */
const badDatetime = fc.constantFrom(
  '2024-01-01T00:00:00',
  '2024-02-30T00:00:00Z',
  '2016-12-31T23:59:60Z',
  '2024-13-01T00:00:00Z',
  '2024-01-01T00:00:00+25:00',
  '2024-01-01',
  '+275760-09-13T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '1700000000',
  'yesterday',
  '2024-01-01 00:00:00Z',
  '2024-01-01T00:00:00z',
  '2024-01-01T24:00:00Z',
  '２０２４-01-01T00:00:00Z',
);

function datetimeSlot(adv: boolean): fc.Arbitrary<Str> {
  if (!adv) return validDatetime;
  return fc.oneof({ weight: 8, arbitrary: slot(validDatetime, true) }, { weight: 2, arbitrary: badDatetime.map((d) => new Adv(d)) });
}

/** `POST /v1/leads/replay`: filters in any combination (since after until included), or no body at all. */
function replayBody(adv: boolean): fc.Arbitrary<unknown> {
  const body = entries(
    adv,
    [],
    [
      ['source', sourceArb(adv)],
      ['step', slot(fc.constantFrom(...LEAD_STEPS), adv)],
      ['since', datetimeSlot(adv)],
      ['until', datetimeSlot(adv)],
    ],
  );
  return fc.option(body, { nil: undefined, freq: 5 });
}

/**
 * A lead id in a path: an accepted lead, its job alone, its job and a dot, a plain job's row, an accepted id with more
 * after it (a second dot, 320+ characters), unknown ids, the longest id the schema takes (320) and one past it.
 * Adversarial: an accepted id with an adversarial string after it, or raw percent-escapes no client encodes (`%zz`,
 * `%00`, `%2E%2E`), or any adversarial string.
 */
function leadIdArb(adv: boolean): fc.Arbitrary<PathPart> {
  const valid = fc.oneof(
    { weight: 8, arbitrary: fc.nat().map((n) => new LeadRef(n)) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.nat(), fc.constantFrom('job', 'job-dot', 'job-row') as fc.Arbitrary<LeadRef['form']>).map(([n, f]) => new LeadRef(n, f)),
    },
    // An accepted id and more: a second dot and a key no lead has, a key that is not a number, 320+ characters in all.
    { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.constantFrom('.x', '.2', 'x', 'x'.repeat(300))).map(([n, t]) => new LeadRef(n, 'lead', t)) },
    { weight: 1, arbitrary: fc.constantFrom('job_doesnotexist.1', '.', '..', 'x'.repeat(320), 'x'.repeat(321), `job_x.${'y'.repeat(314)}`) },
  );
  if (!adv) return valid;
  return fc.oneof(
    // An accepted id with an adversarial string after it (a lone surrogate, a NUL, 10,000 characters…).
    { weight: 3, arbitrary: fc.tuple(fc.nat(), adversarialString).map(([n, t]) => new LeadRef(n, 'lead', new Adv(t))) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.nat(), fc.constantFrom('%zz', '%00', '%2E%2E', '%2F..', '%ED%A0%80', '%F0%9F%98', '.%', '%2', 'x'.repeat(400)))
        .map(([n, raw]) => new LeadRef(n, 'lead', '', raw)),
    },
    { weight: 2, arbitrary: adversarialString.map((x) => new Adv(x)) },
  );
}

/** Job fields that run the pipeline: some a provider supplies and some only the pipeline makes. */
const leadJobFields = fc
  .tuple(fc.subarray([...SUPPLIED], { minLength: 1, maxLength: 3 }), fc.subarray([...LEAD_FIELDS], { minLength: 1, maxLength: 4 }))
  .map(([a, b]) => [...a, ...b]);

/** `pipeline` of a job: deliver and notify, each optional. */
function jobPipelineArb(adv: boolean): fc.Arbitrary<unknown> {
  const opts = entries(
    adv,
    [],
    [
      ['deliver', boolSlot(adv)],
      ['notify', boolSlot(adv)],
    ],
  );
  return adv ? fc.oneof({ weight: 12, arbitrary: opts as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: wrongTypeValue as fc.Arbitrary<unknown> }) : opts;
}

/** One request to any endpoint; `adv` as described at the top. Weights follow how much code sits behind each endpoint. */
export function endpointRequest(adv: boolean): fc.Arbitrary<FuzzRequest> {
  const s = (a: fc.Arbitrary<string>) => slot(a, adv);
  const idem = fc.option(fc.tuple(fc.constantFrom('Idempotency-Key', 'idempotency-key', 'IDEMPOTENCY-KEY'), s(validIdemKey)), { nil: undefined, freq: 3 });
  const createBody = entries(
    adv,
    [
      // One job in four asks for lead.* fields: it runs the pipeline (workspace a) or meets pipeline_not_configured (b).
      ['fields', fc.oneof({ weight: 3, arbitrary: fieldsArb(adv) }, { weight: 1, arbitrary: leadJobFields })],
      ['rows', rowsArb(adv)],
    ],
    [
      ['maxCostUsd', numberSlot(fc.constantFrom(0, 0.001, 0.05, 10), adv)],
      ['sheet', sheetArb(adv)],
      ['googleAccessToken', s(validToken)],
      ['predict', fc.boolean()],
      // With and without lead fields: a plain job's `pipeline` must be harmless.
      ['pipeline', jobPipelineArb(adv)],
    ],
  );
  const shapes: [number, Shape][] = [
    [6, { endpoint: 'POST /v1/jobs', method: 'POST', path: fixed('v1', 'jobs'), body: createBody, headers: idem.map((h) => (h ? [h] : [])) }],
    [
      3,
      {
        endpoint: 'POST /v1/jobs/:id/rows',
        method: 'POST',
        path: jobPath(adv, 'rows'),
        body: entries(adv, [['rows', rowsArb(adv, 1)]], [['predict', fc.boolean()]]),
      },
    ],
    [3, { endpoint: 'GET /v1/jobs/:id', method: 'GET', path: jobPath(adv) }],
    [
      4,
      {
        endpoint: 'GET /v1/jobs/:id/results',
        method: 'GET',
        path: jobPath(adv, 'results'),
        query: queryArb(adv, [
          ['after', s(fc.constantFrom('0', '1', '3', '100'))],
          ['limit', s(fc.constantFrom('1', '2', '500', '5000'))],
          ['status', s(validStatus)],
          ['key', s(validKey.map(String))],
        ]),
      },
    ],
    [
      2,
      {
        endpoint: 'POST /v1/jobs/:id/retry',
        method: 'POST',
        path: jobPath(adv, 'retry'),
        body: fc.option(
          entries(
            adv,
            [],
            [
              ['keys', fc.array(s(validKey as fc.Arbitrary<string>), { maxLength: 4 })],
              ['maxCostUsd', numberSlot(fc.constantFrom(0.1, 10), adv)],
            ],
          ),
          { nil: undefined },
        ),
      },
    ],
    [1, { endpoint: 'POST /v1/jobs/:id/cancel', method: 'POST', path: jobPath(adv, 'cancel') }],
    [1, { endpoint: 'PUT /v1/jobs/:id/token', method: 'PUT', path: jobPath(adv, 'token'), body: entries(adv, [['accessToken', s(validToken)]], []) }],
    [
      3,
      {
        endpoint: 'POST /v1/enrich',
        method: 'POST',
        path: fixed('v1', 'enrich'),
        // Short deadlines: enrich waits up to its deadline, and the requests go one at a time.
        body: entries(
          adv,
          [
            ['input', inputArb(adv)],
            ['fields', fieldsArb(adv)],
          ],
          [
            ['deadlineMs', numberSlot(fc.integer({ min: 50, max: 300 }), adv)],
            ['predict', fc.boolean()],
          ],
        ),
      },
    ],
    [
      3,
      {
        endpoint: 'POST /v1/estimate',
        method: 'POST',
        path: fixed('v1', 'estimate'),
        body: entries(
          adv,
          [
            ['fields', fieldsArb(adv)],
            ['inputs', fc.array(inputArb(adv), { minLength: 1, maxLength: 5 })],
          ],
          [],
        ),
      },
    ],
    [
      2,
      {
        endpoint: 'GET /v1/metrics',
        method: 'GET',
        path: fixed('v1', 'metrics'),
        query: queryArb(adv, [
          ['window', s(fc.constantFrom('7d', '24h', '1h', '30d', '9999d'))],
          [
            'jobId',
            adv
              ? fc.oneof(
                  jobIdArb(false) as fc.Arbitrary<Str | JobRef>,
                  adversarialString.map((x) => new Adv(x)),
                )
              : (jobIdArb(false) as fc.Arbitrary<Str | JobRef>),
          ],
        ]),
      },
    ],
    [4, mcpShape(adv)],
    // The lead pipeline (issue 18): workspace a has one, b has none.
    [5, { endpoint: 'POST /v1/leads', method: 'POST', path: fixed('v1', 'leads'), body: submitLeadsBody(adv) }],
    [4, { endpoint: 'GET /v1/leads/:id', method: 'GET', path: leadIdArb(adv).map((id) => ['v1', 'leads', id] as PathPart[]) }],
    [2, { endpoint: 'POST /v1/leads/replay', method: 'POST', path: fixed('v1', 'leads', 'replay'), body: replayBody(adv) }],
    [1, { endpoint: 'GET /v1/pipeline', method: 'GET', path: fixed('v1', 'pipeline'), query: queryArb(adv, []) }],
    // Takes no query: whatever query comes is ignored.
    [1, { endpoint: 'GET /v1/alerts', method: 'GET', path: fixed('v1', 'alerts'), query: queryArb(adv, [['window', s(fc.constantFrom('7d', '14d'))]]) }],
    [1, { endpoint: 'GET /health', method: 'GET', path: fixed('health'), auth: false, query: queryArb(adv, []) }],
    // Prometheus scrapes: a workspace's key, no header, or an adversarial bearer, never the metrics token (a 404 or 401, never a 5xx).
    [
      1,
      {
        endpoint: 'GET /metrics',
        method: 'GET',
        path: fixed('metrics'),
        query: queryArb(adv, []),
        headers: fc.constantFrom<FuzzRequest['headers']>([], [['x-request-id', 'fuzz-req-0001']]),
      },
    ],
    [
      1,
      {
        endpoint: 'GET /metrics (no key)',
        method: 'GET',
        path: fixed('metrics'),
        auth: false,
        query: queryArb(adv, []),
        headers: adv ? adversarialString.map((x) => [['x-request-id', new Adv(x)] as const]) : fc.constant([]),
      },
    ],
    // Another cluster member's wake (the target has a wake key): never signed right here, so a 400 or 401, and never woken.
    [
      1,
      {
        endpoint: 'POST /internal/wake',
        method: 'POST',
        path: fixed('internal', 'wake'),
        auth: false,
        body: entries(
          adv,
          [
            ['from', s(fc.constantFrom('w_0123456789ab', 'fuzz'))],
            ['to', s(fc.constantFrom('w_ba9876543210', 'fuzz'))],
            ['at', numberSlot(fc.oneof(fc.constant(Date.now()), fc.integer({ min: 0, max: 2 ** 52 })), adv)],
            ['sig', s(fc.base64String({ minLength: 44, maxLength: 44 }).map((b) => Buffer.from(b, 'base64').toString('base64url').slice(0, 43)))],
          ],
          [],
        ),
      },
    ],
    [1, { endpoint: 'GET /openapi.json', method: 'GET', path: fixed('openapi.json'), auth: false, query: queryArb(adv, []) }],
    [
      1,
      {
        endpoint: 'unknown route',
        method: 'GET',
        path: fc.array(s(fc.constantFrom('v1', 'jobs', 'nope', 'v2', 'results')), { minLength: 1, maxLength: 4 }),
      },
    ],
  ];
  const arb = fc.oneof(...shapes.map(([weight, shape]) => ({ weight, arbitrary: request(adv, shape) })));
  return adv ? arb.filter(isAdversarial) : arb;
}

/**
 * Requests with no adversarial string that are still wrong: not JSON, the
 * wrong top-level type, a wrong content type, a wrong method, a missing or
 * unknown key, a body past 8 MB, rows past 5,000 (the rows generator), JSON
 * that is not one MCP message.
 */
export function structurallyBadRequest(): fc.Arbitrary<FuzzRequest> {
  const valid = endpointRequest(false);
  const w = (weight: number, arbitrary: fc.Arbitrary<FuzzRequest>) => ({ weight, arbitrary });
  return fc.oneof(
    w(
      40,
      fc
        .tuple(
          valid,
          fc.constantFrom('', '{', '{"fields":', 'null', '[]', '"text"', '42', 'true', '{"fields":["company.name"],"rows":[}', '\u0000', 'fields=company.name'),
        )
        .map(([r, text]) => ({ ...r, contentType: JSON_TYPE, body: new RawBody(Buffer.from(text), false) })),
    ),
    w(
      30,
      fc
        .tuple(
          valid,
          fc.constantFrom(
            null,
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/json; charset=utf-16',
            'application/json-patch+json',
            'APPLICATION/JSON',
          ),
        )
        .map(([r, contentType]) => ({ ...r, contentType, body: r.body ?? new Entries([]) })),
    ),
    w(
      30,
      fc
        .tuple(valid, fc.constantFrom('DELETE', 'PATCH', 'PUT', 'GET', 'POST', 'OPTIONS', 'HEAD'))
        .map(([r, method]) => ({ ...r, method, endpoint: `${r.endpoint} (as ${method})` })),
    ),
    w(
      30,
      fc.tuple(valid, fc.constantFrom('none', 'Basic YTpi', 'Bearer', 'Bearer csk_unknown_key', 'bearer  ', 'Bearer a b')).map(([r, auth]) => ({ ...r, auth })),
    ),
    w(
      30,
      valid.map((r) => ({ ...r, body: new Entries([]) })),
    ),
    w(15, mcpMalformedRequest()),
    // Just past the body limit: 8 MB + 1 of one long JSON string. Rare: each one is 8 MB on the wire.
    w(
      1,
      fc.constant(null).map(() => ({
        endpoint: 'POST /v1/jobs (over 8 MB)',
        method: 'POST',
        path: ['v1', 'jobs'],
        query: [],
        headers: [],
        auth: 'a' as const,
        contentType: JSON_TYPE,
        body: new RawBody(Buffer.from(`{"fields":["company.name"],"rows":[],"x":"${'a'.repeat(8 * 1024 * 1024)}"}`), false),
      })),
    ),
  );
}

/**
 * Bodies whose bytes are not UTF-8 (a CESU-8 lone surrogate, a stray
 * continuation byte, an overlong NUL) inside otherwise valid JSON: adversarial
 * strings a JSON encoder never produces, only a raw client. In a job's row or
 * sheet, and (one in four) in a lead's key, data or source, or a replay's date.
 */
export function invalidUtf8Request(): fc.Arbitrary<FuzzRequest> {
  const bad = fc.constantFrom(
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from([0xff]),
    Buffer.from([0xc0, 0x80]),
    Buffer.from([0x80]),
    Buffer.from([0xf0, 0x9f, 0x98]),
  );
  const leads = fc.tuple(bad, fc.constantFrom('key', 'data', 'source', 'since')).map(([bytes, where]) => {
    const parts =
      where === 'since'
        ? ['{"since":"2024-01-01T00:00:00', 'Z"}']
        : where === 'key'
          ? ['{"source":"form","leads":[{"key":"sub.', '","input":{"domain":"lead1.com"}}]}']
          : where === 'data'
            ? ['{"source":"form","leads":[{"input":{"domain":"lead1.com"},"data":{"company.techStack":["React', '"]}}]}']
            : ['{"source":"form', '","leads":[{"input":{"domain":"lead1.com"}}]}'];
    return spliced(where === 'since' ? ['v1', 'leads', 'replay'] : ['v1', 'leads'], parts, bytes);
  });
  const jobs = fc.tuple(bad, fc.constantFrom('key', 'company', 'domain', 'sheetName')).map(([bytes, where]) => {
    const parts =
      where === 'key'
        ? ['{"fields":["company.name"],"rows":[{"key":"', '","input":{"domain":"lead1.com"}}]}']
        : where === 'sheetName'
          ? ['{"fields":["company.name"],"rows":[{"key":"2","input":{"domain":"lead1.com"}}],"sheet":{"spreadsheetId":"fuzzbook","sheetName":"', '"}}']
          : [`{"fields":["company.name"],"rows":[{"key":"2","input":{"${where}":"x`, where === 'domain' ? '.com"}}]}' : '"}}]}'];
    return spliced(['v1', 'jobs'], parts, bytes);
  });
  return fc.oneof({ weight: 3, arbitrary: jobs }, { weight: 1, arbitrary: leads });
}

/** A JSON POST to `path` whose body is `parts` with the bad bytes between them. */
function spliced(path: string[], parts: string[], bytes: Buffer): FuzzRequest {
  return {
    endpoint: `POST /${path.join('/')} (invalid UTF-8)`,
    method: 'POST',
    path,
    query: [],
    headers: [],
    auth: 'a',
    contentType: JSON_TYPE,
    body: new RawBody(Buffer.concat([Buffer.from(parts[0]!), bytes, Buffer.from(parts[1]!)]), true),
  };
}

/** Whether a request carries an adversarial value anywhere (the count the issue asks for is of these). */
export function isAdversarial(r: FuzzRequest): boolean {
  const walk = (v: unknown, depth: number): boolean => {
    if (depth > 50) return false;
    if (v instanceof Adv) return true;
    if (v instanceof RawBody) return v.adversarial;
    if (v instanceof LeadRef) return v.tail instanceof Adv || v.rawTail !== '';
    if (v instanceof Entries) return v.entries.some(([k, x]) => k instanceof Adv || walk(x, depth + 1));
    if (Array.isArray(v)) return v.some((x) => walk(x, depth + 1));
    return false;
  };
  return walk(r.path, 0) || walk(r.query, 0) || walk(r.headers, 0) || r.auth instanceof Adv || walk(r.body, 0);
}

/**
 * A batch: as many adversarial requests as others (the others well formed or
 * structurally bad, by weight), interleaved. It is generated at full length,
 * but shrinks as an array of any length, and each request shrinks first to
 * `null` (dropped), so fast-check can cut a failing batch down to the
 * requests that matter. Requests are sent in reverse order of the array:
 * fast-check shortens an array by dropping its head, which then drops the
 * requests sent after the one at fault, in a few halvings.
 */
export function batchArb(pairs: number): fc.Arbitrary<FuzzRequest[]> {
  const other = fc.oneof({ arbitrary: endpointRequest(false), weight: 3 }, { arbitrary: structurallyBadRequest(), weight: 2 });
  const adversarial = fc.oneof({ arbitrary: endpointRequest(true), weight: 30 }, { arbitrary: invalidUtf8Request(), weight: 1 });
  // Never null when generated (one chance in 2^31), null first when shrunk.
  const droppable = (a: fc.Arbitrary<FuzzRequest>) => fc.option(a, { nil: null, freq: 2 ** 31 });
  const item = fc.tuple(droppable(adversarial), droppable(other));
  return new FullLengthArray(fc.array(item, { minLength: pairs, maxLength: pairs }), fc.array(item, { minLength: 0, maxLength: pairs })).map((list) =>
    list
      .flat()
      .filter((r): r is FuzzRequest => r !== null)
      .reverse(),
  );
}

/**
 * Generates with `full` (a fixed length) and shrinks with `shorter` (any length
 * up to it). Both are arrays of the same item arbitrary, so a value's shrink
 * context from one is valid for the other.
 */
class FullLengthArray<T> extends fc.Arbitrary<T[]> {
  constructor(
    private readonly full: fc.Arbitrary<T[]>,
    private readonly shorter: fc.Arbitrary<T[]>,
  ) {
    super();
  }
  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<T[]> {
    return this.full.generate(mrng, biasFactor);
  }
  canShrinkWithoutContext(value: unknown): value is T[] {
    return this.shorter.canShrinkWithoutContext(value);
  }
  shrink(value: T[], context: unknown): fc.Stream<fc.Value<T[]>> {
    return this.shorter.shrink(value, context);
  }
}
