/**
 * JSON text for binding into a statement that SQLite's JSON functions read
 * (`json_each`, `->>`). Every such bind goes through here.
 *
 * Invariant: nothing SQLite decodes from it is text that cannot be read back.
 * JSON.stringify writes an unpaired surrogate as an escape (`\ud800`), and
 * SQLite decodes that escape into bytes that are not UTF-8, which the libsql
 * driver cannot read: it aborts the process, on every read of that row, after
 * every restart. `\u0000` decodes to a NUL, where SQLite's text ends. The
 * boundary (shared/text.ts) keeps both out of what requests and providers
 * bring; this is the net under it, for whatever it did not foresee. Both
 * escapes become U+FFFD.
 *
 * JSON.stringify never escapes a surrogate that is half of a pair, so every
 * surrogate escape in its output is an unpaired one. An escape counts only
 * where an odd run of backslashes precedes the `u` (an even run is an escaped
 * backslash followed by the letter u, as in the text `C:\users`).
 */
const SUSPECT = /\\u(?:d[89a-f]|0000)/i;
const UNREADABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:d[89a-f][0-9a-f]{2}|0000)/gi;

export function jsonText(value: unknown): string {
  const text = JSON.stringify(value);
  // One scan that almost never matches; the rewrite runs only for text that needs it.
  return SUSPECT.test(text) ? text.replace(UNREADABLE_ESCAPE, '$1\\ufffd') : text;
}
