import { describe, expect, it } from 'vitest';
import { normalizeDomain, normalizeEmail, normalizeLinkedinUrl } from '../api/engine/normalize.js';
import { kindOfValue } from './inputKind.js';

// What the add-on calls a domain, email or LinkedIn URL, the API must take as one: else a cell is sent as the wrong kind.
const SAMPLES = {
  domain: ['acme.com', 'www.acme.co.uk/about', 'https://lumiere.fr/', 'münchen.de', 'https://bücher.example/shop', 'xn--mnchen-3ya.de', 'acme.com:8443/x'],
  email: ['Ann@Acme.com', 'anna@münchen.de', 'a.b+c@sub.example.io'],
  linkedinUrl: ['https://linkedin.com/company/acme', 'www.linkedin.com/in/jane-doe'],
} as const;

describe('kindOfValue', () => {
  it('recognises IDN domains and emails as the API normalises them', () => {
    for (const v of SAMPLES.domain) {
      expect(kindOfValue(v), v).toBe('domain');
      expect(normalizeDomain(v), v).toBeDefined();
    }
    for (const v of SAMPLES.email) {
      expect(kindOfValue(v), v).toBe('email');
      expect(normalizeEmail(v), v).toBeDefined();
    }
    for (const v of SAMPLES.linkedinUrl) {
      expect(kindOfValue(v), v).toBe('linkedinUrl');
      expect(normalizeLinkedinUrl(v), v).toBeDefined();
    }
    expect(normalizeDomain('münchen.de')).toBe('xn--mnchen-3ya.de');
  });

  it('leaves company names, free text and what the API would refuse alone', () => {
    for (const v of ['jürgen@münchen.de', 'Acme Inc', 'Müller GmbH', 'Jane Doe', '', '  ', 'acme', '3M']) expect(kindOfValue(v), v).toBeUndefined();
  });
});
