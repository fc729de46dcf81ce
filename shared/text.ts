import { z } from 'zod';

/**
 * What every string crossing a boundary (a request, a provider's answer, a
 * Google reply) is held to before it reaches the engine, the database or a
 * log. Two things in a JavaScript string cannot be stored as they are:
 * - an unpaired UTF-16 surrogate (`"\ud800"`, or an emoji cut in half):
 *   SQLite's JSON functions turn its `\ud800` escape into bytes that are not
 *   UTF-8, and the libsql driver aborts the process when it reads them back;
 * - NUL: SQLite's text functions stop at it, so `"a\u0000b"` reads back as `"a"`.
 * Identifiers (row keys, sheet names, idempotency keys) holding either are
 * refused with their path; a cell's value holding either flags its row.
 */

// A regex rather than String#isWellFormed: this module also runs in Apps Script and the sidebar's browser, and the
// ES2023 lib the project is typed against has no such method. The test that misses is one scan of the string.
const UNSTORABLE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|\0/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

/** Why a string cannot be stored as it is, in words a user can act on; undefined when it can. */
export function textFault(s: string): string | undefined {
  const m = UNSTORABLE.exec(s);
  if (!m) return undefined;
  return m[0] === '\0' ? 'holds a NUL character' : 'holds a broken character (half of an emoji or another unpaired UTF-16 surrogate)';
}

/** The string with every unpaired surrogate and NUL replaced by U+FFFD: what may be stored or shown of a faulty value. */
export const storableText = (s: string): string => (UNSTORABLE.test(s) ? s.replace(UNSTORABLE_ALL, '\uFFFD') : s);

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/**
 * At most `max` UTF-16 units of `s`, the ellipsis that marks a cut included,
 * cut on a code point boundary: an emoji is never split into an unpaired half.
 */
export function cutText(s: string, max: number): string {
  if (s.length <= max) return s;
  const end = max - 1;
  return `${s.slice(0, isHighSurrogate(s.charCodeAt(end - 1)) ? end - 1 : end)}…`;
}

/** A value quoted in a message: cut, and made storable, so the message itself is safe to store and show. */
export const quoted = (s: string, max = 80) => `"${storableText(cutText(s, max))}"`;

/**
 * An identifier from a request: a row key, a sheet or column name, an
 * idempotency key. It is stored and compared as it is, so one that cannot be
 * stored faithfully is refused (400 with its path) rather than altered.
 */
export const identifierText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((s, ctx) => {
      const fault = textFault(s);
      if (fault) ctx.addIssue({ code: 'custom', message: `${fault}; an identifier must be plain text` });
    });
