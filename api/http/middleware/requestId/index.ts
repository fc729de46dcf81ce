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

/**
 * Gives each request an id, answers it in a header, and puts it (with the
 * workspace once auth has set it, and the job of a /v1/jobs/:id path) on every
 * line logged while the request is handled: a line in the log and the answer a
 * client saw are tied by one value. Ends with one line per request.
 */
export function requestId(opts: RequestIdOptions = {}): MiddlewareHandler<AppEnv> {
  const header = opts.header ?? 'X-Request-Id';
  const generate = opts.generate ?? randomUUID;
  const accept = opts.accept ?? /^[A-Za-z0-9._:-]{8,128}$/;
  const scope = opts.scope ?? (<T>(_: LogFields, fn: () => T) => fn());
  return async (c, next) => {
    const incoming = c.req.header(header);
    const id = incoming !== undefined && accept.test(incoming) ? incoming : generate();
    const job = JOB_PATH.exec(c.req.path)?.[1];
    // Read when a line is written: the workspace is known only after auth, further down the chain.
    const fields = () => {
      const workspace = c.get('workspace');
      return { reqId: id, ...(workspace ? { workspace } : {}), ...(job ? { job } : {}) };
    };
    const started = performance.now();
    await scope(fields, async () => {
      // Errors downstream are answered by the app's onError before next() returns, so c.res is the answer sent.
      await next();
      try {
        c.res.headers.set(header, id);
      } catch {
        // A Response whose headers are immutable (one passed through from fetch): answer a copy.
        c.res = new Response(c.res.body, c.res);
        c.res.headers.set(header, id);
      }
      if (!opts.log) return;
      const url = c.req.url.slice(c.req.url.indexOf('/', c.req.url.indexOf('//') + 2));
      opts.log('request', {
        method: c.req.method,
        url: url.length > URL_LOG_MAX ? `${url.slice(0, URL_LOG_MAX)}…` : url,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
        ...(opts.scope ? {} : fields()),
      });
    });
  };
}
