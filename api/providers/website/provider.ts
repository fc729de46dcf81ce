import type { WebsiteProviderConfig } from '../../config/schema.js';
import type { Field } from '../../../shared/index.js';
import { causeChain } from '../../errors.js';
import { findBlocked } from '../../net/blocked.js';
import type { AddressGuard } from '../../net/guard.js';
import { guardedFetch } from '../../net/guardedFetch.js';
import { HostLimiter } from '../../net/hostLimiter.js';
import { keylessProvider } from '../keyless.js';
import type { CallResult, Provider } from '../types.js';
import { extractCompany } from './extract.js';
import { declaredCharset, parsePage } from './page.js';
import { withDeadline, type Deadline } from '../deadline.js';

export const WEBSITE_FIELDS: Field[] = [
  'company.name',
  'company.description',
  'company.logoUrl',
  'company.ogImage',
  'company.linkedinUrl',
  'company.twitterUrl',
  'company.facebookUrl',
  'company.githubUrl',
  'company.email',
  'company.phone',
  'company.techStack',
];

export interface WebsiteProviderDeps {
  guard: AddressGuard;
  now: () => number;
}

// Failures that say the site cannot be had over this URL (nothing listening, bad certificate): try the next URL.
const UNREACHABLE =
  /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EPROTO|UND_ERR_SOCKET|CERT_|ERR_TLS|ERR_SSL|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_INVALID_URL)/;

function decode(body: Buffer, contentType: string | null): string {
  const fromHeader = /charset=["']?([\w-]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  const utf8 = new TextDecoder('utf-8').decode(body);
  const charset = fromHeader ?? declaredCharset(utf8);
  if (!charset || charset === 'utf-8' || charset === 'utf8') return utf8;
  try {
    return new TextDecoder(charset).decode(body);
  } catch {
    return utf8;
  }
}

const errorCode = (err: unknown): string => {
  for (const e of causeChain(err)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return (err as Error)?.name ?? 'error';
};

/**
 * Keyless company data from the company's own home page: HTTPS first, then
 * HTTP, each hop through the address guard, body and time capped.
 */
export function websiteProvider(cfg: WebsiteProviderConfig, deps: WebsiteProviderDeps): Provider {
  const name = cfg.label ?? 'Website';
  const limiter = new HostLimiter(cfg.perHostIntervalMs, deps.now);

  const call: Provider['call'] = (input, signal) => withDeadline(cfg.timeoutMs, signal, (limit) => attempt(input, signal, limit));

  async function attempt(input: Parameters<Provider['call']>[0], signal: AbortSignal | undefined, limit: Deadline): Promise<CallResult> {
    const domain = input.domain!;
    const both = limit.signal;
    let outcome: CallResult = { kind: 'no_match', status: 0 };
    for (const template of cfg.urls) {
      let page: Awaited<ReturnType<typeof guardedFetch>>;
      try {
        page = await guardedFetch(deps.guard, template.replaceAll('{{domain}}', domain), {
          headers: { 'user-agent': cfg.userAgent, accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5', 'accept-language': 'en' },
          maxBytes: cfg.maxBytes,
          maxRedirects: cfg.maxRedirects,
          signal: both,
          beforeHop: (url) => limiter.wait(url.hostname, both),
        });
      } catch (err) {
        if (signal?.aborted) throw err;
        const blocked = findBlocked(err);
        if (blocked) return { kind: 'permanent', code: 'blocked_address', message: `${name}: ${blocked.message}` };
        if (limit.expired) return { kind: 'transient', code: 'provider_timeout', message: `${name}: ${domain} did not answer within ${cfg.timeoutMs} ms` };
        const code = errorCode(err);
        // A domain without an address has no site, over any URL.
        if (code === 'ENOTFOUND') return { kind: 'no_match', status: 0 };
        if (UNREACHABLE.test(code) || (err instanceof Error && err.name === 'UnfetchableUrlError')) continue;
        outcome = { kind: 'transient', code: 'provider_unavailable', message: `${name}: ${domain} could not be fetched (${code})` };
        continue;
      }
      if (page.status >= 200 && page.status < 300) {
        const type = page.headers.get('content-type') ?? '';
        if (type && !/html|xml/i.test(type)) return { kind: 'no_match', status: page.status };
        const values = extractCompany(parsePage(decode(page.body, type), page.url, page.headers), domain);
        return Object.keys(values).length > 0 ? { kind: 'match', values, status: page.status } : { kind: 'no_match', status: page.status };
      }
      if (page.status >= 500 || page.status === 429 || page.status === 408) {
        outcome = { kind: 'transient', status: page.status, code: 'provider_unavailable', message: `${name}: ${domain} answered HTTP ${page.status}` };
      } else if (outcome.kind !== 'transient') {
        outcome = { kind: 'no_match', status: page.status };
      }
    }
    return outcome;
  }

  return keylessProvider(cfg, name, ['domain'], WEBSITE_FIELDS, call);
}
