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
    return out
      .replace(/(bearer\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${REDACTED}`)
      .replace(/([?&](?:api_?key|key|token|access_token)=)[^&\s"]+/gi, `$1${REDACTED}`)
      .replace(/\bya29\.[A-Za-z0-9._~+/=-]+/g, REDACTED)
      .replace(/\bcsk_[A-Za-z0-9_-]{16,}/g, REDACTED);
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
      timestamp: pino.stdTimeFunctions.isoTime,
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
