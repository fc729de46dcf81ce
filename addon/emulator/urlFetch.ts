import type { FetchReply, FetchRequest } from './protocol.js';

const exception = (message: string) => Object.assign(new Error(message), { name: 'Exception' });

/** UrlFetchApp's documented limits (google-platform-limits.md). */
export const URLFETCH_LIMITS = {
  urlBytes: 2 * 1024,
  headerBytes: 8 * 1024,
  payloadBytes: 50 * 1024 * 1024,
  responseBytes: 50 * 1024 * 1024,
  callsPerDay: 20_000,
  timeoutMs: 60_000,
};

export interface FetchLog {
  exec: number;
  fn: string;
  method: string;
  url: string;
  status: number | null;
  requestBytes: number;
  responseBytes: number;
  ms: number;
}

/**
 * UrlFetchApp over a real HTTP client: the add-on's requests reach the real
 * API on 127.0.0.1. Limits are enforced with Apps Script's own messages; a
 * 4xx/5xx throws unless muteHttpExceptions, and a refused connection throws
 * as an unreachable address does in Google.
 */
export async function urlFetch(req: FetchRequest, opts: { log: (entry: Omit<FetchLog, 'exec' | 'fn'>) => void; count: () => number }): Promise<FetchReply> {
  const method = (req.method ?? 'get').toUpperCase();
  if (Buffer.byteLength(req.url) > URLFETCH_LIMITS.urlBytes) throw exception('Limit Exceeded: URLFetch URL Length.');
  const headers: Record<string, string> = {
    'user-agent': 'Mozilla/5.0 (compatible; Google-Apps-Script; beanserver; +https://script.google.com; id: emulator)',
    ...req.headers,
  };
  if (req.contentType) headers['content-type'] = req.contentType;
  if (Object.entries(headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0) > URLFETCH_LIMITS.headerBytes)
    throw exception('Limit Exceeded: URLFetch header size.');
  const payload = req.payload ?? undefined;
  const requestBytes = payload === undefined ? 0 : Buffer.byteLength(payload);
  if (requestBytes > URLFETCH_LIMITS.payloadBytes) throw exception('Limit Exceeded: URLFetch POST Size.');
  if (opts.count() >= URLFETCH_LIMITS.callsPerDay) throw exception('Service invoked too many times for one day: urlfetch.');
  const started = Date.now();
  let res: Response;
  try {
    res = await fetch(req.url, {
      method,
      headers,
      body: method === 'GET' ? undefined : payload,
      signal: AbortSignal.timeout(URLFETCH_LIMITS.timeoutMs),
      redirect: 'follow',
    });
  } catch (err) {
    opts.log({ method, url: req.url, status: null, requestBytes, responseBytes: 0, ms: Date.now() - started });
    const cause = String((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name);
    if (cause === 'ENOTFOUND') throw exception(`DNS error: ${req.url}`);
    if (cause === 'TimeoutError') throw exception(`Timeout: ${req.url}`);
    throw exception(`Address unavailable: ${req.url}`);
  }
  const body = await res.text();
  const responseBytes = Buffer.byteLength(body);
  opts.log({ method, url: req.url, status: res.status, requestBytes, responseBytes, ms: Date.now() - started });
  if (responseBytes > URLFETCH_LIMITS.responseBytes) throw exception('Limit Exceeded: URLFetch response size.');
  if (res.status >= 400 && !req.muteHttpExceptions) {
    throw exception(
      `Request failed for ${new URL(req.url).origin} returned code ${res.status}. Truncated server response: ${body.slice(0, 200)} (use muteHttpExceptions option to examine full response)`,
    );
  }
  return { status: res.status, body };
}
