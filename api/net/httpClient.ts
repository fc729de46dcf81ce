import { getGlobalDispatcher, interceptors, request, type Dispatcher } from 'undici';
import type { HeaderGetter, HttpClient } from '../providers/types.js';

/** An answer's status and headers came, then its body broke off (a reset, the deadline). */
export class AnswerBrokenError extends Error {
  override name = 'AnswerBrokenError';
}

const MAX_REDIRECTS = 5;

type RawHeaders = Record<string, string | string[] | undefined>;

const headerGetter = (raw: RawHeaders): HeaderGetter => ({
  get(name) {
    const v = raw[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  },
});

/**
 * The HTTP client of providers whose host is fixed by the configuration, on
 * undici's request API rather than its WHATWG fetch: at hundreds of calls a
 * second, fetch's streams, Request objects and WebIDL checks were a quarter
 * of the event loop, time every next request waited behind. Redirects are
 * followed as fetch would (a few hops).
 */
export function createHttpClient(dispatcher: Dispatcher = getGlobalDispatcher()): HttpClient {
  const following = dispatcher.compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTS }));
  return async ({ method, url, headers, body, signal, maxBytes }) => {
    const res = await request(url, { method, headers, body, signal, dispatcher: following });
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.byteLength;
        if (size > maxBytes) {
          // Dropping the connection is cheaper than reading the rest of an answer we will not use.
          res.body.destroy();
          return { status: res.statusCode, headers: headerGetter(res.headers), body: undefined };
        }
        chunks.push(chunk);
      }
    } catch (err) {
      throw new AnswerBrokenError(`the answer broke off (${(err as { code?: string }).code ?? (err as Error).name})`, { cause: err });
    }
    return { status: res.statusCode, headers: headerGetter(res.headers), body: Buffer.concat(chunks).toString('utf8') };
  };
}
