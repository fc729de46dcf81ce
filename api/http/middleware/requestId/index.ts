import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Log, LogFields } from '../../../log.js';
import type { AppEnv } from '../../env.js';

export interface RequestIdOptions {
  /** The header the id is read from (set by a proxy in front) and answered in. */
  header?: string;
  /** Makes an id when the request brings none usable. */
  generate?: () => string;
  /**
   * Which incoming ids are kept. Anything else is replaced, so a client cannot
   * put line breaks, huge values or look-alike JSON into every log line of its request.
   */
  accept?: RegExp;
  /** Runs the rest of the request with these fields on every log line (Logger.scope); without it, only the request's own line has them. */
  scope?: <T>(fields: LogFields, fn: () => T) => T;
  /** Where the one line per answered request goes. */
  log?: Log;
}

const JOB_PATH = /^\/v1\/jobs\/([^/]+)/;
/** Long adversarial paths and queries are cut in the log; the request itself is untouched. */
const URL_LOG_MAX = 512;

/** What the request id middleware and the enrich fast path (api/http/fastEnrich.ts) share: one id rule, one scope, one line per request. */
export interface RequestTags {
  /** The header the id is read from and answered in, as given (X-Request-Id). */
  header: string;
  /** The id of a request that sent `sent` in the header: kept if acceptable, else a new one. */
  idFor(sent: string | undefined): string;
  /** Runs the rest of the request with these fields on every log line (a no-op without a scope). */
  scope<T>(fields: LogFields, fn: () => T): T;
  /** Writes the request's line. `fields` (the id, the workspace, the job) are added only without a scope: with one, every line has them already. */
  logAnswer(method: string, path: string, status: number, started: number, fields: LogFields): void;
}

export function requestTags(opts: RequestIdOptions = {}): RequestTags {
  const generate = opts.generate ?? randomUUID;
  const accept = opts.accept ?? /^[A-Za-z0-9._:-]{8,128}$/;
  const log = opts.log;
  const scoped = opts.scope !== undefined;
  return {
    header: opts.header ?? 'X-Request-Id',
    idFor: (sent) => (sent !== undefined && accept.test(sent) ? sent : generate()),
    scope: opts.scope ?? (<T>(_: LogFields, fn: () => T) => fn()),
    logAnswer(method, path, status, started, fields) {
      if (!log) return;
      log('request', {
        method,
        url: path.length > URL_LOG_MAX ? `${path.slice(0, URL_LOG_MAX)}…` : path,
        status,
        ms: Math.round(performance.now() - started),
        ...(scoped ? {} : typeof fields === 'function' ? fields() : fields),
      });
    },
  };
}

/**
 * Gives each request an id, answers it in a header, and puts it (with the
 * workspace once auth has set it, and the job of a /v1/jobs/:id path) on every
 * line logged while the request is handled: a line in the log and the answer a
 * client saw are tied by one value. Ends with one line per request.
 */
export function requestId(opts: RequestIdOptions | RequestTags = {}): MiddlewareHandler<AppEnv> {
  const tags = 'idFor' in opts ? opts : requestTags(opts);
  const header = tags.header;
  return async (c, next) => {
    const id = tags.idFor(c.req.header(header));
    const job = JOB_PATH.exec(c.req.path)?.[1];
    // Read when a line is written: the workspace is known only after auth, further down the chain.
    const fields = () => {
      const workspace = c.get('workspace');
      return { reqId: id, ...(workspace ? { workspace } : {}), ...(job ? { job } : {}) };
    };
    const started = performance.now();
    await tags.scope(fields, async () => {
      // Errors downstream are answered by the app's onError before next() returns, so c.res is the answer sent.
      await next();
      try {
        c.res.headers.set(header, id);
      } catch {
        // A Response whose headers are immutable (one passed through from fetch): answer a copy.
        c.res = new Response(c.res.body, c.res);
        c.res.headers.set(header, id);
      }
      const url = c.req.url.slice(c.req.url.indexOf('/', c.req.url.indexOf('//') + 2));
      tags.logAnswer(c.req.method, url, c.res.status, started, fields);
    });
  };
}
