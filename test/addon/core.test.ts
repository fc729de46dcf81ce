import { describe, expect, it } from 'vitest';
import { AddonError, describeApiError, describeFetchFailure } from '../../addon/src/core/apiErrors.js';
import { evenSample, splitByPayload, utf8Bytes } from '../../addon/src/core/batches.js';
import { cellToInput, cellValue } from '../../addon/src/core/cellInput.js';
import { columnLetter, proposeOutputs } from '../../addon/src/core/columns.js';
import { detectInputs } from '../../addon/src/core/detect.js';
import { kindOfValue } from '../../shared/index.js';
import { etaMs, formatDuration } from '../../addon/src/core/eta.js';
import { readLimits } from '../../addon/src/core/limits.js';
import { FIELD_PRESETS, outputSummary, shortSample } from '../../addon/src/core/fieldPresets.js';
import { FIELDS } from '../../shared/index.js';

const col = (values: string[]) => values;

describe('input column detection', () => {
  it('reads the usual headers', () => {
    const headers = ['First Name', 'Last name', 'Work Email', 'Company', 'Website', 'LinkedIn Profile'];
    expect(
      detectInputs(
        headers,
        headers.map(() => []),
      ),
    ).toEqual({ firstName: 1, lastName: 2, email: 3, company: 4, domain: 5, linkedinUrl: 6 });
  });

  it('finds inputs by their values when headers say nothing', () => {
    const samples = [
      col(['x', 'y']),
      col(['ann@acme.com', 'bob@globex.io', 'carl@initech.de']),
      col(['https://www.linkedin.com/in/ann', 'linkedin.com/in/bob']),
      col(['acme.com', 'https://globex.io/', 'initech.de']),
    ];
    expect(detectInputs(['Notes', 'Col B', 'Col C', 'Col D'], samples)).toEqual({ email: 2, linkedinUrl: 3, domain: 4 });
  });

  it('does not trust a header the values contradict, and skips columns Cascade writes', () => {
    const samples = [col(['ann@acme.com', 'bob@globex.io']), col(['Acme', 'Globex']), col(['Acme']), col(['matched · by p'])];
    // "Website" full of emails is an email column; columns a previous run wrote are never inputs.
    expect(detectInputs(['Website', 'Company name', 'Company name (Cascade)', 'Cascade status'], samples)).toEqual({ email: 1, company: 2 });
    expect(detectInputs(['Website', 'Notes', 'Company name (Cascade)', 'Cascade status'], samples)).toEqual({ email: 1 });
  });

  it('tells values apart', () => {
    expect(kindOfValue('Ann@Acme.com')).toBe('email');
    expect(kindOfValue('https://linkedin.com/company/acme')).toBe('linkedinUrl');
    expect(kindOfValue('www.acme.co.uk/about')).toBe('domain');
    expect(kindOfValue('Acme Inc')).toBeUndefined();
  });
});

describe('output columns', () => {
  it('reuses a column headed with the field, adds the rest after the last one, and never writes over an input', () => {
    const headers = ['Email', 'Company name', 'Industry', 'Notes'];
    const { outputs, status } = proposeOutputs(headers, ['company.name', 'company.industry', 'person.title'], [1, 2]);
    // Column B is the company input: the company name gets its own new column.
    expect(outputs['company.name']).toEqual({ letter: 'E', header: 'Company name (Cascade)', exists: false });
    expect(outputs['company.industry']).toEqual({ letter: 'C', header: 'Industry', exists: true });
    expect(outputs['person.title']).toEqual({ letter: 'F', header: 'Job title', exists: false });
    expect(status).toEqual({ letter: 'G', header: 'Cascade status', exists: false });
    // A second run finds the columns the first one made.
    const again = proposeOutputs([...headers, 'Company name (Cascade)', 'Job title', 'Cascade status'], ['company.name', 'person.title'], [1, 2]);
    expect(again.outputs['company.name']).toMatchObject({ letter: 'E', exists: true });
    expect(again.status).toMatchObject({ letter: 'G', exists: true });
    expect(columnLetter(28)).toBe('AB');
  });
});

describe('batches', () => {
  it('cuts by bytes as well as rows, keeping order, and never drops a row', () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ key: String(i), input: { company: 'x'.repeat(i === 3 ? 5000 : 10) } }));
    const parts = splitByPayload(rows, 2000);
    expect(parts.flat()).toEqual(rows);
    expect(parts.map((p) => p.length)).toEqual([3, 1, 6]);
    for (const p of parts.filter((x) => x.length > 1)) expect(utf8Bytes(JSON.stringify(p))).toBeLessThan(2000);
    expect(utf8Bytes('é€😀')).toBe(2 + 3 + 4);
  });

  it('samples a long column evenly', () => {
    expect(evenSample(5, 10)).toEqual([0, 1, 2, 3, 4]);
    const s = evenSample(100_000, 1000);
    expect(s).toHaveLength(1000);
    expect(s[0]).toBe(0);
    expect(s[999]).toBe(99_900);
  });
});

describe('readable errors', () => {
  it('uses the API’s message and path, or says what a status means for that URL', () => {
    const apiError = (code: string, message: string, path?: string) => JSON.stringify({ error: { code, message, path } });
    expect(describeApiError(401, apiError('unauthorized', 'unknown API key'), 'x').message).toMatch(/refused the API key/);
    const bad = describeApiError(400, apiError('invalid_body', 'no configured provider supplies "person.phone"', 'fields[0]'), 'x');
    expect(bad.message).toBe('The Cascade API said: no configured provider supplies "person.phone" (at fields[0]).');
    expect(bad).toMatchObject({ code: 'invalid_body', path: 'fields[0]' });
    expect(describeApiError(404, '<html>Not Found</html>', 'https://example.com/v1/jobs').message).toMatch(/not a Cascade API endpoint/);
    expect(describeApiError(503, 'upstream down', 'x').message).toMatch(/unavailable \(HTTP 503\)/);
    expect(describeFetchFailure('https://nowhere.example', new Error('Exception: DNS error: https://nowhere.example/health')).message).toMatch(
      /^Could not reach the Cascade API at https:\/\/nowhere\.example \(DNS error/,
    );
    expect(bad).toBeInstanceOf(AddonError);
  });
});

describe('=CASCADE() input and output', () => {
  it('reads a cell by its look or by the kind named', () => {
    expect(cellToInput(' ann@acme.com ')).toEqual({ ok: true, input: { email: 'ann@acme.com' } });
    expect(cellToInput('acme.com')).toEqual({ ok: true, input: { domain: 'acme.com' } });
    expect(cellToInput('Acme Corporation')).toEqual({ ok: true, input: { company: 'Acme Corporation' } });
    expect(cellToInput('Ann Lee', 'name')).toEqual({ ok: true, input: { fullName: 'Ann Lee' } });
    expect(cellToInput('x', 'phone')).toMatchObject({ ok: false, message: expect.stringContaining('not an input kind') });
    expect(cellToInput('')).toMatchObject({ ok: false });
    expect(cellValue(['React', 'Stripe'])).toBe('React, Stripe');
    expect(cellValue(42)).toBe(42);
  });
});

describe('ETA and limits', () => {
  it('projects the recent rate', () => {
    const samples = [
      { at: 0, done: 0 },
      { at: 10_000, done: 100 },
      { at: 20_000, done: 200 },
    ];
    expect(etaMs(samples, 1200)).toBe(100_000);
    expect(etaMs([{ at: 0, done: 0 }], 10)).toBeUndefined();
    expect(formatDuration(100_000)).toBe('2 min');
  });

  it('takes valid overrides and ignores broken ones field by field', () => {
    expect(readLimits(null).batchRows).toBe(2000);
    const l = readLimits(JSON.stringify({ batchRows: 50, uploadBudgetMs: -1, nonsense: 1 }));
    expect(l.batchRows).toBe(50);
    expect(l.uploadBudgetMs).toBe(45_000);
    expect(readLimits('{not json').lookupDeadlineMs).toBe(8000);
  });
});

describe('field presets, samples and the output line', () => {
  it('cuts a sample at a word boundary, never mid-word, and keeps a short one whole', () => {
    expect(shortSample('emma.garcia@lumiere.fr', 24)).toBe('emma.garcia@lumiere.fr');
    expect(shortSample('sofia.tanaka@initech-industries.io', 24)).toBe('sofia.tanaka@initech…');
    expect(shortSample('Acme   Widgets International GmbH', 18)).toBe('Acme Widgets…');
    // No boundary in reach: cut at the limit, still marked as cut.
    expect(shortSample('abcdefghijklmnopqrstuvwxyz', 10)).toBe('abcdefghi…');
  });

  it('reads runs of new columns as a range and existing ones by letter', () => {
    const { outputs } = proposeOutputs(['Email', 'Industry'], ['company.name', 'company.employees', 'company.industry'], [1]);
    expect(outputSummary(outputs)).toBe('B Industry · C–D new: Company name, Employees');
  });

  it('has presets of known fields only, none of them empty', () => {
    for (const p of FIELD_PRESETS) {
      expect(p.fields.length).toBeGreaterThan(0);
      for (const f of p.fields) expect(FIELDS[f]).toBeDefined();
    }
  });
});
