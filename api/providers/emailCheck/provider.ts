import { isDisposableEmailDomain } from 'disposable-email-domains-js';
import type { EmailCheckProviderConfig } from '../../config/schema.js';
import { HostLimiter } from '../../net/hostLimiter.js';
import type { NetResolver } from '../../net/resolver.js';
import { keylessProvider } from '../keyless.js';
import type { CallResult, Provider } from '../types.js';
import { ROLE_ACCOUNTS } from './roles.js';
import { validEmailSyntax } from './syntax.js';

export interface EmailCheckProviderDeps {
  resolver: NetResolver;
  now: () => number;
}

/** What email-check can say. Never `verified`: only a provider that talks to the mail server may claim that. */
export type EmailCheckStatus = 'invalid_syntax' | 'disposable' | 'no_mx' | 'role' | 'mx_ok';

const MX_TTL_MS = 10 * 60_000;
const MX_MEMO_MAX = 10_000;

/**
 * Keyless: an email's status from its syntax, the disposable-domain list,
 * the domain's MX records and role-account names. Many addresses share a
 * domain, so MX answers are shared for a few minutes: a column of one
 * company asks DNS once.
 */
export function emailCheckProvider(cfg: EmailCheckProviderConfig, deps: EmailCheckProviderDeps): Provider {
  const name = cfg.label ?? 'Email check';
  const roles = new Set([...ROLE_ACCOUNTS, ...cfg.roleAccounts]);
  const limiter = new HostLimiter(cfg.perHostIntervalMs, deps.now);
  const memo = new Map<string, { at: number; hasMx: Promise<boolean> }>();

  function hasMx(domain: string, signal?: AbortSignal): Promise<boolean> {
    const now = deps.now();
    const hit = memo.get(domain);
    if (hit && now - hit.at < MX_TTL_MS) return hit.hasMx;
    if (memo.size >= MX_MEMO_MAX) memo.delete(memo.keys().next().value!);
    const lookup = limiter
      .wait(domain, signal)
      .then(() => deps.resolver.mx(domain))
      // A null MX (RFC 7505) is one record with an empty exchange: the domain takes no mail.
      .then((mx) => (mx ?? []).some((r) => r.exchange !== '' && r.exchange !== '.'));
    memo.set(domain, { at: now, hasMx: lookup });
    lookup.catch(() => memo.delete(domain));
    return lookup;
  }

  async function call(input: Parameters<Provider['call']>[0], signal?: AbortSignal): Promise<CallResult> {
    const email = input.email!;
    const status = await check(email, signal).catch((err: unknown) => err as Error);
    if (status instanceof Error) {
      const code = (status as { code?: string }).code ?? 'error';
      if (signal?.aborted) throw status;
      return { kind: 'transient', code: code === 'ETIMEOUT' ? 'provider_timeout' : 'provider_unavailable', message: `${name}: MX lookup failed (${code})` };
    }
    return { kind: 'match', values: { 'person.emailStatus': status }, status: 0 };
  }

  async function check(email: string, signal?: AbortSignal): Promise<EmailCheckStatus> {
    if (!validEmailSyntax(email)) return 'invalid_syntax';
    const at = email.lastIndexOf('@');
    const domain = email.slice(at + 1).toLowerCase();
    if (isDisposableEmailDomain(domain)) return 'disposable';
    if (!(await hasMx(domain, signal))) return 'no_mx';
    const local = email.slice(0, at).toLowerCase().split('+')[0]!;
    return roles.has(local) ? 'role' : 'mx_ok';
  }

  return keylessProvider(cfg, name, ['email'], ['person.emailStatus'], call);
}
