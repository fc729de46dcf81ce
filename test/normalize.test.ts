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
  });
});

describe("segmentOf: the segment a row's order statistics are kept for", () => {
  it('is the TLD, generic or country', () => {
    expect(segmentOf('acme.com')).toBe('com');
    expect(segmentOf('acme.io')).toBe('io');
    expect(segmentOf('acme.net')).toBe('net');
    expect(segmentOf('sales.eu.acme.com')).toBe('com');
    expect(segmentOf('acme.de')).toBe('de');
    expect(segmentOf('acme.unlisted-tld')).toBe('unlisted-tld');
  });

  it('is the public suffix where it is more than the TLD', () => {
    expect(segmentOf('acme.co.uk')).toBe('co.uk');
    expect(segmentOf('shop.acme.co.uk')).toBe('co.uk');
    expect(segmentOf('acme.com.au')).toBe('com.au');
    expect(segmentOf('acme.uk')).toBe('uk');
    // Hosting services' suffixes (the list's private section) say nothing of the company's market.
    expect(segmentOf('acme.github.io')).toBe('io');
    expect(segmentOf('acme.blogspot.com')).toBe('com');
  });

  it('never makes a segment per company: at most two labels, and the TLD for a domain that is itself a suffix', () => {
    expect(segmentOf('co.uk')).toBe('uk');
    // *.kawasaki.jp makes every city a suffix; *.ck every second-level domain.
    expect(segmentOf('www.city.kawasaki.jp')).toBe('kawasaki.jp');
    expect(segmentOf('acme.ck')).toBe('ck');
  });

  it('is taken from the ASCII form of an IDN, as normalisation leaves it', () => {
    const idn = normalizeInput({ domain: 'https://bäckerei.рф/' });
    expect(idn.ok && idn.input.domain).toBe('xn--bckerei-5wa.xn--p1ai');
    expect(idn.ok && idn.segment).toBe('xn--p1ai');
    // 公司.cn, an IDN second level under a country TLD.
    expect(segmentOf(normalizeDomain('acme.公司.cn'))).toBe('xn--55qx5d.cn');
    expect(segmentOf(normalizeDomain('münchen-bau.de'))).toBe('de');
  });

  it('is generic for a row without a domain, as every non-country row was before (the journal keeps that name)', () => {
    expect(segmentOf(undefined)).toBe('generic');
    const named = normalizeInput({ fullName: 'Jane Doe', company: 'Acme' });
    expect(named.ok && named.segment).toBe('generic');
    const freemail = normalizeInput({ email: 'jane@gmail.com' });
    expect(freemail.ok && freemail.segment).toBe('generic');
    const work = normalizeInput({ email: 'jane@acme.co.uk' });
    expect(work.ok && work.segment).toBe('co.uk');
  });
});
