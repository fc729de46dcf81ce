import type { AddressGuard } from './guard.js';
import { guardedFetch } from './guardedFetch.js';

type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/**
 * The guarded fetch behind the ordinary fetch signature, for providers written
 * against it (the `http` kind with input in the host). The body is read here,
 * up to maxBytes and one more so the caller can still tell it was too long.
 */
export function guardedFetchLike(guard: AddressGuard, opts: { maxBytes: number; maxRedirects: number }): FetchLike {
  return async (url, init) => {
    const res = await guardedFetch(guard, url, {
      method: init.method === 'POST' ? 'POST' : 'GET',
      headers: init.headers as Record<string, string> | undefined,
      body: typeof init.body === 'string' ? init.body : undefined,
      maxBytes: opts.maxBytes + 1,
      maxRedirects: opts.maxRedirects,
      signal: init.signal ?? new AbortController().signal,
    });
    const nullBody = res.status === 204 || res.status === 304 || (res.status >= 100 && res.status < 200);
    return new Response(nullBody ? null : new Uint8Array(res.body), { status: res.status, headers: res.headers });
  };
}
