import type { HeaderGetter } from '../types.js';

/**
 * How long a response asks us to wait, from `Retry-After` (seconds or an HTTP
 * date) or from rate-limit headers that say the window is used up.
 */
export function waitFromHeaders(headers: HeaderGetter, now: number): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null) {
    const s = retryAfter.trim();
    if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
    const at = Date.parse(s);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const remaining = firstHeader(headers, ['ratelimit-remaining', 'x-ratelimit-remaining', 'x-rate-limit-remaining']);
  if (remaining !== undefined && Number(remaining) <= 0) {
    const reset = firstHeader(headers, ['ratelimit-reset', 'x-ratelimit-reset', 'x-rate-limit-reset']);
    if (reset !== undefined && /^\d+(\.\d+)?$/.test(reset.trim())) {
      const n = Number(reset);
      // Large values are epoch seconds (GitHub style), small ones are seconds from now (IETF draft style).
      return n > 1e9 ? Math.max(0, n * 1000 - now) : Math.round(n * 1000);
    }
  }
  return undefined;
}

export interface QuotaHeader {
  remaining: string;
  windowMs: number;
  reset?: string;
}

/**
 * How long to wait when a provider-specific quota header (Apollo's
 * x-minute-requests-left…) says a window is used up: until its reset header,
 * or else to the end of the fixed window. The longest of the used-up windows.
 */
export function waitFromQuotaHeaders(headers: HeaderGetter, now: number, quotas: readonly QuotaHeader[]): number | undefined {
  let wait: number | undefined;
  for (const q of quotas) {
    const remaining = headers.get(q.remaining);
    if (remaining === null || !/^-?\d+$/.test(remaining.trim()) || Number(remaining) > 0) continue;
    const reset = q.reset ? headers.get(q.reset)?.trim() : undefined;
    let ms = q.windowMs - (now % q.windowMs);
    if (reset && /^\d+(\.\d+)?$/.test(reset)) {
      const n = Number(reset);
      ms = n > 1e9 ? Math.max(0, n * 1000 - now) : Math.round(n * 1000);
    }
    wait = Math.max(wait ?? 0, ms);
  }
  return wait;
}

function firstHeader(headers: HeaderGetter, names: string[]): string | undefined {
  for (const n of names) {
    const v = headers.get(n);
    if (v !== null) return v;
  }
  return undefined;
}
