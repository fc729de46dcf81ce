import fc from 'fast-check';

/**
 * Adversarial values for every string position of the API, and the marker
 * that says a request carries one.
 *
 * Invariant: whatever a generator puts where the API expects a string (a row
 * key, an input field, a field name, a sheet name, a header, a query or path
 * parameter) is either a plain string from a "valid" generator, or wrapped in
 * `Adv`. A request counts as adversarial if and only if its description
 * holds an `Adv` somewhere, so the "half the requests are adversarial"
 * figure is counted, not assumed.
 */
export class Adv {
  /** `value`: the JS value sent (a string, or a number/array/object where a string goes). `raw`: JSON text sent verbatim instead (deep nesting no serializer would survive). */
  constructor(
    readonly value: unknown,
    readonly raw?: string,
  ) {}
  toString() {
    return this.raw !== undefined ? `Adv(raw ${this.raw.length} chars: ${this.raw.slice(0, 40)}…)` : `Adv(${describeString(this.value)})`;
  }
}

/**
 * A readable, exact rendering of a value for counterexamples: escapes lone
 * surrogates, controls and bidi marks, writes runs of one code point as
 * «a×79», and cuts after 400 rendered code points (saying how long it was).
 * A loop, not a regular expression, so an 8 MB value renders in linear time.
 */
export function describeString(v: unknown): string {
  if (typeof v !== 'string') return JSON.stringify(v)?.slice(0, 200) ?? String(v);
  const show = (ch: string) => {
    const cp = ch.codePointAt(0)!;
    const lone = ch.length === 1 && cp >= 0xd800 && cp <= 0xdfff;
    if (
      lone ||
      cp < 0x20 ||
      cp === 0x7f ||
      (cp >= 0x200b && cp <= 0x200f) ||
      (cp >= 0x202a && cp <= 0x202e) ||
      cp === 0x2028 ||
      cp === 0x2029 ||
      cp === 0xfeff
    ) {
      return `\\u${cp.toString(16).padStart(4, '0')}`;
    }
    return ch;
  };
  let out = '';
  let shown = 0;
  let i = 0;
  while (i < v.length && shown < 400) {
    const ch = String.fromCodePoint(v.codePointAt(i)!);
    // A lone surrogate is one code unit; fromCodePoint keeps it as is.
    const unit = ch.length === 2 && v.slice(i, i + 2) === ch ? ch : v[i]!;
    let n = 1;
    while (n < 1e7 && v.startsWith(unit, i + n * unit.length)) n++;
    out += n >= 16 ? `«${show(unit)}×${n}»` : show(unit).repeat(n);
    i += n * unit.length;
    shown += Math.min(n, 16);
  }
  return `"${out}"${i < v.length ? `…(${v.length} chars)` : ''}`;
}

/** High and low surrogates on their own: not representable in UTF-8, so every encoder between the request and the database must cope. */
export const loneSurrogate = fc.oneof(
  fc.constantFrom('\ud800', '\udfff', '\ud83d', '\ude00'),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
);

/** Astral and multi-unit graphemes: a cut at any code unit inside one leaves a lone surrogate or a broken sequence. */
export const EMOJI = ['😀', '👨‍👩‍👧‍👦', '🇫🇷', '👍🏽', '𝕳', '\u{10ffff}', 'e\u0301', '각'] as const;

/**
 * Lengths the code base cuts at or bounds by: message excerpts (80), id and
 * sheet-name limits (100), key and column-ref limits (200), name limits
 * (256), email and company limits (512), URL and domain limits (2048), token
 * limit (4096), field-value limit (4000), and the DNS label limit (63).
 */
export const CUT_POINTS = [1, 63, 64, 79, 80, 100, 200, 256, 512, 2048, 4000, 4096] as const;

/** A run of padding with a grapheme placed so it straddles a cut point, by a few code units either way (79×'a' + '😀' is cut 80, shift -1). */
export const emojiAcrossCut = fc
  .record({
    cut: fc.constantFrom(...CUT_POINTS),
    shift: fc.integer({ min: -3, max: 2 }),
    pad: fc.constantFrom('a', 'é', ' ', '.', '-'),
    emoji: fc.constantFrom(...EMOJI),
    suffix: fc.constantFrom('', '.com', '@example.com', '😀'),
  })
  .map(({ cut, shift, pad, emoji, suffix }) => pad.repeat(Math.max(0, cut + shift)) + emoji + suffix);

/** Right-to-left text, bidi overrides and combining marks (alone, stacked, leading). */
export const bidiAndCombining = fc.constantFrom(
  '\u202eevil\u202c',
  '\u202dabc',
  '\u200f\u200e',
  'עברית',
  'مرحبا.com',
  'שלום@דוגמה.ישראל',
  'e\u0301',
  '\u0301',
  '\u0301\u0301\u0301\u0301',
  'Z\u0335\u0321\u0322\u0348a\u0338l\u0337g\u0336o\u0335',
  '\u0627\u0644\u0639\u0631\u0628\u064a\u0629\u200d',
  '\u061c\u2066\u2067\u2068\u2069',
);

/** Strings that read as numbers, booleans or JSON: coercions must not happen where a string is expected. */
export const numberLikeString = fc.oneof(
  fc.constantFrom(
    '0',
    '-0',
    '1',
    '-1',
    '1e309',
    '-1e309',
    'NaN',
    'Infinity',
    '0x1F',
    '1_000',
    '9007199254740993',
    '  42  ',
    '١٢٣',
    '1.0',
    '.5',
    '00012',
    'true',
    'null',
    '[]',
    '{}',
    '{"a":1}',
  ),
  fc.double().map(String),
  fc.integer().map(String),
  fc.bigInt().map(String),
);

/** Characters that end strings early, split lines or headers, or escape: NUL, controls, CR/LF, Unicode separators, BOM, noncharacters. */
export const controlChars = fc.oneof(
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\r\n',
    '\n',
    '\t',
    '\u0008',
    '\u001b[31m',
    '\u007f',
    '\u2028',
    '\u2029',
    '\ufeff',
    '\ufffe',
    '\uffff',
    '\u200b',
    '\u200d',
  ),
  fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 8 }),
);

/** Strings that mean something to a URL, a path, SQL, a template, or an object's prototype. */
export const syntaxTraps = fc.constantFrom(
  '',
  ' ',
  '%',
  '%zz',
  '%00',
  '%ED%A0%80',
  '100%-sales',
  '../..',
  '/',
  '?',
  '#',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  "' OR 1=1 --",
  '"; DROP TABLE jobs; --',
  '{{domain}}',
  '${process.exit()}',
  '@',
  'a@',
  '@b.com',
  'a..com',
  '.com',
  'xn--',
  'xn--zz.com',
  'http://',
  'https://[::1]/',
  'http://127.0.0.1:1/',
  'javascript:alert(1)',
  'İ',
  'ß',
  'ﬀ',
  'K',
  '𝕳𝖊𝖑𝖑𝖔',
);

/** Values past every limit: a long run of one unit (ASCII, accented, astral, lone surrogate, NUL, combining). */
export const hugeString = fc
  .record({
    unit: fc.constantFrom('a', 'é', '😀', '\ud800', '\u0000', 'e\u0301', '\u202e', '%'),
    n: fc.constantFrom(1000, 2047, 2048, 2049, 4096, 10_000),
  })
  .map(({ unit, n }) => unit.repeat(n));

/** Short random strings over the whole code point range, plus a lone surrogate somewhere. */
export const mixedUnicode = fc
  .tuple(fc.string({ unit: 'binary', maxLength: 12 }), fc.option(loneSurrogate, { nil: '' }), fc.string({ unit: 'grapheme', maxLength: 12 }))
  .map(([a, s, b]) => a + s + b);

/**
 * Any adversarial string. The simplest forms come first, so fast-check's
 * shrinking ends on the shortest witness (a bare "\ud800" rather than a
 * 10,000-character run).
 */
export const adversarialString: fc.Arbitrary<string> = fc.oneof(
  loneSurrogate,
  controlChars,
  syntaxTraps,
  numberLikeString,
  bidiAndCombining,
  emojiAcrossCut,
  mixedUnicode,
  hugeString,
);

/** An adversarial fragment spliced into a valid value at any position: `Acme\ud800`, `\ud800@example.com`, `https://www.linkedin.com/in/100%-sales`. */
export function splicedInto(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(valid, adversarialString, fc.nat()).map(([valid, frag, at]) => {
    const v = String(valid);
    const i = at % (v.length + 1);
    return v.slice(0, i) + frag + v.slice(i);
  });
}

/**
 * JSON where a string goes: numbers, booleans, null, arrays of strings,
 * objects, and deep nesting (as raw text, since no serializer keeps 100,000
 * levels on its stack).
 */
export const wrongTypeValue: fc.Arbitrary<Adv> = fc.oneof(
  fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null)).map((v) => new Adv(v)),
  fc.array(adversarialString, { maxLength: 3 }).map((v) => new Adv(v)),
  fc.dictionary(adversarialString, adversarialString, { maxKeys: 3 }).map((v) => new Adv(v)),
  fc
    .constantFrom(10, 1000, 100_000)
    .chain((depth) =>
      fc.constantFrom(`${'['.repeat(depth)}${']'.repeat(depth)}`, `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`).map((raw) => new Adv(null, raw)),
    ),
);

/**
 * For a string position whose valid values come from `valid`: in adversarial
 * mode, a valid value (12 times in 13), an adversarial string, one
 * spliced into a valid value, or a non-string; in valid mode, the valid value
 * only.
 */
export function slot(valid: fc.Arbitrary<string>, adversarial: boolean): fc.Arbitrary<string | Adv> {
  if (!adversarial) return valid;
  // Mostly valid (12 in 13), so a request often carries a single adversarial value in an otherwise valid body
  // and gets past validation to the engine, the database and the sheet writer; the request generator keeps
  // only requests with at least one.
  return fc.oneof(
    { arbitrary: valid, weight: 60 },
    { arbitrary: adversarialString.map((s) => new Adv(s)), weight: 2 },
    { arbitrary: splicedInto(valid).map((s) => new Adv(s)), weight: 2 },
    { arbitrary: wrongTypeValue, weight: 1 },
  );
}
