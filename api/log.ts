import { AsyncLocalStorage } from 'node:async_hooks';
import { pino } from 'pino';

/** What the whole codebase calls to log: a message and, optionally, fields. */
export type Log = (msg: string, extra?: Record<string, unknown>) => void;

/** Fields a line carries; a function is read when the line is written (a workspace known only once auth has run). */
export type LogFields = Record<string, unknown> | (() => Record<string, unknown>);

/** A Log that can also add fields to every line written inside a scope (a request), across awaits. */
export interface Logger extends Log {
  scope<T>(fields: LogFields, fn: () => T): T;
}

const REDACTED = '[redacted]';

/** Where scrubber's patterns can match: a line without any of these is left as it is. */
const MAYBE_TOKEN = /bearer\s|[?&](?:api_?key|key|token|access_token)=|ya29\.|csk_/i;

/**
 * Removes secrets from one serialised line. The known secrets are matched in
 * their JSON-escaped form, since that is how a value appears inside a JSON
 * line (a key holding `"` or `\` would otherwise slip through). The patterns
 * catch secrets the process never was told about: bearer tokens, keys and
 * tokens in query strings, Google OAuth access tokens (`ya29.`), and our own
 * API keys (`csk_`, made by api/storage/keys.ts).
 */
export function scrubber(secrets: readonly string[]): (text: string) => string {
  // Short values would redact ordinary words; a real key is longer than this.
  const known = [...new Set(secrets.filter((s) => s.length >= 6).flatMap((s) => [JSON.stringify(s).slice(1, -1), s]))]
    // Longest first: a secret that contains another is removed whole.
    .sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const s of known) if (out.includes(s)) out = out.split(s).join(REDACTED);
    // Most lines hold none of the patterns below: one pass says so (each pattern matches only where this does).
    if (!MAYBE_TOKEN.test(out)) return out;
    return out
      .replace(/(bearer\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${REDACTED}`)
      .replace(/([?&](?:api_?key|key|token|access_token)=)[^&\s"]+/gi, `$1${REDACTED}`)
      .replace(/\bya29\.[A-Za-z0-9._~+/=-]+/g, REDACTED)
      .replace(/\bcsk_[A-Za-z0-9_-]{16,}/g, REDACTED);
  };
}

/**
 * pino's isoTime (`,"time":"2026-01-02T03:04:05.678Z"`) without a Date and
 * its formatting per line: the part down to the second is kept while the
 * second lasts (a busy server writes thousands of lines in it).
 */
function isoTimeCached(): () => string {
  let second = Number.NaN;
  let prefix = '';
  return () => {
    const now = Date.now();
    const s = Math.floor(now / 1000);
    if (s !== second) {
      second = s;
      prefix = `,"time":"${new Date(s * 1000).toISOString().slice(0, 20)}`;
    }
    const ms = now - s * 1000;
    return `${prefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
  };
}

/**
 * The process's logger: one JSON object per line (pino), each scrubbed of the
 * secrets it was given (provider keys read from the environment, the bootstrap
 * key) and of anything that looks like a token, after serialisation, so no
 * field, nested value or message can carry one out. Lines written inside
 * `scope()` carry its fields (the request id, the workspace, the job).
 *
 * pino: the maintained, widely used JSON logger for Node; it serialises
 * circular or odd values safely and is cheap on the hot path. Each logger has
 * its own scope storage: no module-level state.
 */
export function createLog(secrets: readonly string[], write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const scrub = scrubber(secrets);
  const context = new AsyncLocalStorage<LogFields>();
  const logger = pino(
    {
      base: { pid: process.pid },
      timestamp: isoTimeCached(),
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const fields = context.getStore();
        return fields === undefined ? {} : typeof fields === 'function' ? fields() : fields;
      },
    },
    // A synchronous destination: a line is written (or lost with the process) in the call that logs it.
    { write: (line: string) => write(scrub(line.endsWith('\n') ? line.slice(0, -1) : line)) },
  );
  const log = ((msg: string, extra?: Record<string, unknown>) => (extra ? logger.info(extra, msg) : logger.info(msg))) as Logger;
  log.scope = (fields, fn) => context.run(fields, fn);
  return log;
}
