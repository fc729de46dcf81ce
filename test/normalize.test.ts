import { describe, expect, it } from 'vitest';
import { inputKey, normalizeDomain, normalizeEmail, normalizeInput, normalizeLinkedinUrl, segmentOf } from '../api/engine/normalize.js';

describe('input normalisation', () => {
  it('lowercases and trims emails, and refuses what is not one', () => {
    expect(normalizeEmail('  Jane.Doe@ACME.com ')).toBe('jane.doe@acme.com');
    for (const bad of ['jane', '@acme.com', 'jane@', 'jane@@acme.com', 'ja ne@acme.com', 'jane..d@acme.com', 'jane@localhost']) {
      expect(normalizeEmail(bad), bad).toBeUndefined();
    }
  });

  it('takes the domain from URLs and emails, strips www, and converts IDN to ASCII', () => {
    expect(normalizeDomain('https://www.Acme.com/about?x=1')).toBe('acme.com');
    expect(normalizeDomain('www.acme.co.uk')).toBe('acme.co.uk');
    expect(normalizeDomain('sales@acme.io')).toBe('acme.io');
    expect(normalizeDomain('münchen-bau.de')).toBe('xn--mnchen-bau-9db.de');
    expect(normalizeDomain('acme.com.')).toBe('acme.com');
    for (const bad of ['acme', 'not a domain', 'http://', '-acme.com', 'acme.c0m']) expect(normalizeDomain(bad), bad).toBeUndefined();
  });

  it('derives the company domain from a work email but not from a mailbox provider', () => {
    const work = normalizeInput({ email: 'a@acme.de' });
    expect(work.ok && work.input.domain).toBe('acme.de');
    expect(work.ok && work.segment).toBe('de');
    const free = normalizeInput({ email: 'a@gmail.com' });
    expect(free.ok && free.input.domain).toBeUndefined();
  });

  it('canonicalises LinkedIn URLs', () => {
    expect(normalizeLinkedinUrl('linkedin.com/in/Jane-Doe/?trk=x')).toBe('https://www.linkedin.com/in/jane-doe');
    expect(normalizeLinkedinUrl('https://example.com/in/jane')).toBeUndefined();
  });

  it('builds names both ways and flags half a name', () => {
    const r = normalizeInput({ fullName: '  Jane   van Doe ' });
    expect(r.ok && r.input).toMatchObject({ fullName: 'Jane van Doe', firstName: 'Jane', lastName: 'van Doe' });
    expect(normalizeInput({ firstName: 'Jane' })).toMatchObject({ ok: false, field: 'lastName' });
  });

  it('flags an empty row and a bad value with the field it is about', () => {
    expect(normalizeInput({})).toMatchObject({ ok: false, field: 'input' });
    expect(normalizeInput({ email: 'x', domain: 'acme.com' })).toMatchObject({ ok: false, field: 'email' });
  });

  it('keys the cache by only the inputs a provider reads', () => {
    const a = normalizeInput({ email: 'x@acme.com', fullName: 'A B' });
    const b = normalizeInput({ domain: 'https://acme.com' });
    if (!a.ok || !b.ok) throw new Error('valid');
    expect(inputKey(['domain'], a.input)).toBe(inputKey(['domain'], b.input));
    expect(segmentOf('acme.com')).toBe('generic');
  });
});
