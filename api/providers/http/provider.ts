import type { HttpProviderConfig } from '../../config/schema.js';
import type { Field } from '../../../shared/index.js';
import { findBlocked } from '../../net/blocked.js';
import type { AddressGuard } from '../../net/guard.js';
import { guardedClient } from '../../net/guardedClient.js';
import type { CallResult, FieldValues, HeaderGetter, HttpClient, HttpReply, Provider } from '../types.js';
import { coerceValue } from './coerce.js';
import { getPointer } from './pointer.js';
import { waitFromHeaders, waitFromQuotaHeaders } from './retryAfter.js';
import { expandBody, expandHeader, expandUrl, inputInHost, unformableUrl } from './template.js';
import { withDeadline, type Deadline } from '../deadline.js';
import { noAnswer } from '../noAnswer.js';

const MAX_BODY = 2 * 1024 * 1024;
const MAX_REDIRECTS = 5;

export interface HttpProviderDeps {
  http: HttpClient;
  now: () => number;
  /** Checks addresses for providers whose URL takes its host from the row; required by those. */
  guard?: AddressGuard;
}

/** The declarative provider: a request template, a response map, and the status conventions of the API behind it. */
export function httpProvider(cfg: HttpProviderConfig, deps: HttpProviderDeps): Provider {
  const mapped = Object.entries(cfg.response.map) as [Field, string][];
  const name = cfg.label ?? cfg.id;
  // Input in the host means sheet input picks the server: that request must go through the address guard.
  let http = deps.http;
  const hostFromInput = inputInHost(cfg.request.url);
  if (hostFromInput) {
    if (!deps.guard) throw new Error(`${name}: a URL with input in its host needs the address guard`);
    http = guardedClient(deps.guard, { maxRedirects: MAX_REDIRECTS });
  }
  const explain = (status: number, fallback: string) => {
    const meaning = cfg.statusMessages[String(status)];
    return meaning ? `${name}: ${meaning} (HTTP ${status})` : fallback;
  };
  const waitAsked = (headers: HeaderGetter) => {
    const now = deps.now();
    const a = waitFromHeaders(headers, now);
    const b = waitFromQuotaHeaders(headers, now, cfg.rateLimitHeaders);
    return a === undefined ? b : b === undefined ? a : Math.max(a, b);
  };

  const call: Provider['call'] = (input, signal) => withDeadline(cfg.timeoutMs, signal, (limit) => attempt(input, signal, limit));

  async function attempt(input: Parameters<Provider['call']>[0], signal: AbortSignal | undefined, limit: Deadline): Promise<CallResult> {
    const headers: Record<string, string> = { accept: 'application/json' };
    for (const [k, v] of Object.entries(cfg.request.headers)) headers[k] = expandHeader(v, input);
    let body: string | undefined;
    if (cfg.request.body !== undefined) {
      body = JSON.stringify(expandBody(cfg.request.body, input));
      headers['content-type'] ??= 'application/json';
    }
    let res: HttpReply;
    try {
      res = await http({ method: cfg.request.method, url: expandUrl(cfg.request.url, input), headers, body, signal: limit.signal, maxBytes: MAX_BODY });
    } catch (err) {
      if (signal?.aborted) throw err;
      const blocked = findBlocked(err);
      if (blocked) return { kind: 'permanent', code: 'blocked_address', message: `${name}: ${blocked.message}` };
      return noAnswer(name, err, limit, cfg.timeoutMs);
    }
    const status = res.status;
    if (cfg.rateLimitStatus.includes(status)) {
      return { kind: 'rate_limited', status, retryAfterMs: waitAsked(res.headers) };
    }
    if (cfg.noMatchStatus.includes(status)) {
      return { kind: 'no_match', status, pauseMs: waitAsked(res.headers) };
    }
    if (cfg.pendingStatus.includes(status)) {
      return { kind: 'pending', status, retryAfterMs: waitFromHeaders(res.headers, deps.now()) ?? cfg.pollDelayMs };
    }
    if (status >= 500 || status === 408 || cfg.transientStatus.includes(status)) {
      return { kind: 'transient', status, code: 'provider_unavailable', message: explain(status, `${name} answered HTTP ${status}`) };
    }
    if (status < 200 || status >= 300) {
      return { kind: 'permanent', status, code: 'provider_rejected', message: explain(status, `${name} refused the request (HTTP ${status})`) };
    }
    let doc: unknown;
    try {
      if (res.body === undefined) throw new Error('too large');
      doc = JSON.parse(res.body);
    } catch {
      return { kind: 'transient', status, code: 'provider_bad_response', message: `${name} sent an answer that is not JSON (or over ${MAX_BODY} bytes)` };
    }
    const pauseMs = waitAsked(res.headers);
    if (cfg.response.matchIf !== undefined) {
      const gate = getPointer(doc, cfg.response.matchIf);
      if (gate === undefined || gate === null) return { kind: 'no_match', status, pauseMs };
    }
    const values: FieldValues = {};
    for (const [field, pointer] of mapped) {
      const v = coerceValue(getPointer(doc, pointer));
      if (v !== undefined) values[field] = v;
    }
    return Object.keys(values).length > 0 ? { kind: 'match', values, status, pauseMs } : { kind: 'no_match', status, pauseMs };
  }

  return {
    id: cfg.id,
    label: name,
    demo: cfg.demo,
    inputs: cfg.input,
    fields: cfg.fields,
    costPerCall: cfg.costPerCall,
    costPerMatch: cfg.costPerMatch,
    concurrency: cfg.concurrency,
    ratePerSecond: cfg.ratePerSecond,
    timeoutMs: cfg.timeoutMs,
    ...(hostFromInput ? { unusableInput: (input) => unformableUrl(cfg.request.url, input, name) } : {}),
    call,
  };
}
