import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../env.js';

const utf8 = new TextDecoder();

/**
 * Hono's bodyLimit, with a cheaper path for what nearly every request is: on
 * Node, a body of declared length. Such a body is refused over `maxSize`
 * exactly as bodyLimit does (its Content-Length, before a byte is read), and
 * otherwise read straight from Node's IncomingMessage into Hono's body cache
 * as text, so `c.req.json()` (the route validators) parses it without
 * @hono/node-server building a WHATWG Request, its AbortSignal and a web
 * stream around the socket first (bodyLimit touching `c.req.raw.body` did
 * that for every request): on a cached lookup those cost more than the
 * lookup. Everything else (a chunked body, a runtime other than Node) goes
 * through `limit`, the ordinary bodyLimit.
 *
 * Only for routes that read their body through `c.req` (json, text): the
 * raw Request's body is left empty. The text is decoded as Request.text()
 * does (TextDecoder: a leading BOM dropped, invalid bytes replaced), so a
 * handler sees the same string either way.
 */
export function nodeBodyLimit(opts: {
  maxSize: number;
  onError(c: Context<AppEnv>): Response | Promise<Response>;
  limit: MiddlewareHandler<AppEnv>;
}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const declared = incoming?.headers['content-length'];
    if (!incoming || declared === undefined || incoming.headers['transfer-encoding'] !== undefined) return opts.limit(c, next);
    if (parseInt(declared, 10) > opts.maxSize) return opts.onError(c);
    if (incoming.method !== 'GET' && incoming.method !== 'HEAD') {
      const text = readText(incoming);
      // A body cut off is the reader's error, when one reads it; unread, it must not be an unhandled rejection.
      text.catch(() => {});
      (c.req.bodyCache as { text?: Promise<string> }).text = text;
    }
    await next();
  };
}

/** The body of a request from Node, decoded as Request.text() does; undefined if it was cut off. Never rejects. */
export function readBody(incoming: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.once('end', () => resolve(utf8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks))));
    incoming.once('error', () => resolve(undefined));
    incoming.once('close', () => {
      if (!incoming.complete) resolve(undefined);
    });
  });
}

/** readBody, rejecting if the body was cut off (as Request.text() does). */
const readText = (incoming: IncomingMessage): Promise<string> =>
  readBody(incoming).then((text) => (text === undefined ? Promise.reject(new Error('the request body was cut off')) : text));
