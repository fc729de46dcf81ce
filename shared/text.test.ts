import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutText, identifierText, storableText, textFault } from './text.js';

const WELL_FORMED = /^(?:[^\ud800-\udfff\0]|[\ud800-\udbff][\udc00-\udfff])*$/;
// Every UTF-16 unit, unpaired surrogates and NUL included, so the properties see what a request can carry.
const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 });

describe('text at the boundary', () => {
  it('finds unpaired surrogates and NUL, and only those', () => {
    expect(textFault('Zoë 😀 عربي')).toBeUndefined();
    expect(textFault('\ud800')).toMatch(/broken character/);
    expect(textFault('😀'.slice(1))).toMatch(/broken character/);
    expect(textFault('a\u0000b')).toMatch(/NUL/);
    fc.assert(fc.property(anyText, (s) => (textFault(s) === undefined) === WELL_FORMED.test(s)));
  });

  it('makes any text storable, changing nothing that already was', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const out = storableText(s);
        expect(out).toMatch(WELL_FORMED);
        expect(out.length).toBe(s.length);
        if (textFault(s) === undefined) expect(out).toBe(s);
      }),
    );
  });

  it('cuts on code points, within the length asked, and marks the cut', () => {
    expect(cutText('abc', 3)).toBe('abc');
    expect(cutText(`${'a'.repeat(78)}😀x`, 80)).toBe(`${'a'.repeat(78)}…`);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.integer({ min: 2, max: 80 }), (s, max) => {
        const cut = cutText(s, max);
        expect(cut.length).toBeLessThanOrEqual(max);
        expect(textFault(cut)).toBeUndefined();
        if (s.length > max) expect(cut.endsWith('…')).toBe(true);
      }),
    );
  });

  it('refuses identifiers that could not be stored as sent', () => {
    const key = identifierText(10);
    expect(key.safeParse('row-2').success).toBe(true);
    expect(key.safeParse('k\ud800').error?.issues[0]?.message).toMatch(/broken character.*identifier/);
    expect(key.safeParse('a\u0000b').success).toBe(false);
  });
});
