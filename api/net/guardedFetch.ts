import { Agent, fetch as undiciFetch } from 'undici';
import { ipLiteral } from './addressPolicy.js';
import { findBlocked } from './blocked.js';
import type { AddressGuard } from './guard.js';

export interface GuardedFetchOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  maxRedirects: number;
  /** Bytes of body kept; the rest is not read. */
  maxBytes: number;
  signal: AbortSignal;
  /** Awaited before each hop (the first request and every redirect), e.g. to space requests per host. */
  beforeHop?: (url: URL) => Promise<void>;
}

export interface GuardedResponse {
  /** Where the answer came from, after redirects. */
  url: string;
  status: number;
  headers: Headers;
  body: Buffer;
  /** The body was longer than maxBytes and was cut there. */
  truncated: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class UnfetchableUrlError extends Error {
  override name = 'UnfetchableUrlError';
}

/**
 * A fetch whose target comes from sheet input. Redirects are followed by hand
 * so every hop is checked; each hop gets its own connector whose lookup is the
 * guard, so the address checked is the address connected to. Throws
 * BlockedAddressError before any connection to a refused address.
 */
export async function guardedFetch(guard: AddressGuard, url: string, opts: GuardedFetchOptions): Promise<GuardedResponse> {
  let current = new URL(url);
  let method = opts.method ?? 'GET';
  let body = opts.body;
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:') throw new UnfetchableUrlError(`${current.protocol} URLs are not fetched`);
    const port = current.port ? Number(current.port) : current.protocol === 'https:' ? 443 : 80;
    const literal = ipLiteral(current.hostname);
    // No lookup happens for an IP literal, so the connector's check would never run: check it here.
    if (literal) guard.checkAddress(literal, port);
    await opts.beforeHop?.(current);
    const agent = new Agent({ connect: { lookup: guard.lookupFor(port) }, connections: 1, pipelining: 0 });
    try {
      const res = await undiciFetch(current, { method, headers: opts.headers, body, redirect: 'manual', signal: opts.signal, dispatcher: agent });
      const location = res.headers.get('location');
      if (REDIRECTS.has(res.status) && location) {
        await res.body?.cancel();
        if (hop >= opts.maxRedirects) throw new UnfetchableUrlError(`more than ${opts.maxRedirects} redirects`);
        current = new URL(location, current);
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      const { bytes, truncated } = await readUpTo(res.body, opts.maxBytes);
      return { url: current.href, status: res.status, headers: res.headers as unknown as Headers, body: bytes, truncated };
    } catch (err) {
      throw findBlocked(err) ?? err;
    } finally {
      agent.destroy().catch(() => {});
    }
  }
}

async function readUpTo(stream: ReadableStream<Uint8Array> | null, max: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  if (!stream) return { bytes: Buffer.alloc(0), truncated: false };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(chunks), truncated: false };
    chunks.push(value);
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return { bytes: Buffer.concat(chunks).subarray(0, max), truncated: true };
    }
  }
}
