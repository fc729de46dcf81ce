import type { HttpClient } from '../providers/types.js';
import type { AddressGuard } from './guard.js';
import { guardedFetch } from './guardedFetch.js';

/**
 * The guarded fetch as a provider's HTTP client, for the `http` kind with
 * input in the host (so sheet input picks the server).
 */
export function guardedClient(guard: AddressGuard, opts: { maxRedirects: number }): HttpClient {
  return async ({ method, url, headers, body, signal, maxBytes }) => {
    const res = await guardedFetch(guard, url, { method, headers, body, signal, maxBytes, maxRedirects: opts.maxRedirects });
    return { status: res.status, headers: res.headers, body: res.truncated ? undefined : res.body.toString('utf8') };
  };
}
