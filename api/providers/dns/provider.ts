import type { DnsProviderConfig } from '../../config/schema.js';
import { HostLimiter } from '../../net/hostLimiter.js';
import type { NetResolver } from '../../net/resolver.js';
import { keylessProvider } from '../keyless.js';
import type { CallResult, FieldValues, Provider } from '../types.js';
import { emailProvider, saasFromTxt } from './classify.js';

export interface DnsProviderDeps {
  resolver: NetResolver;
  now: () => number;
}

/** Keyless: the email host from MX records, SaaS in use from SPF and verification TXT records. */
export function dnsProvider(cfg: DnsProviderConfig, deps: DnsProviderDeps): Provider {
  const name = cfg.label ?? 'DNS';
  const limiter = new HostLimiter(cfg.perHostIntervalMs, deps.now);

  async function call(input: Parameters<Provider['call']>[0], signal?: AbortSignal): Promise<CallResult> {
    const domain = input.domain!;
    await limiter.wait(domain, signal);
    let mx: Awaited<ReturnType<typeof deps.resolver.mx>>;
    let txt: Awaited<ReturnType<typeof deps.resolver.txt>>;
    try {
      [mx, txt] = await Promise.all([deps.resolver.mx(domain), deps.resolver.txt(domain)]);
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'error';
      if (code === 'ETIMEOUT') return { kind: 'transient', code: 'provider_timeout', message: `${name}: no DNS answer for ${domain} in time` };
      return { kind: 'transient', code: 'provider_unavailable', message: `${name}: DNS lookup of ${domain} failed (${code})` };
    }
    if (mx === null && txt === null) return { kind: 'no_match', status: 0 };
    const values: FieldValues = { 'company.emailProvider': emailProvider(domain, mx ?? []) };
    const saas = saasFromTxt(txt ?? []);
    if (saas.length > 0) values['company.techStack'] = saas;
    return { kind: 'match', values, status: 0 };
  }

  return keylessProvider(cfg, name, ['domain'], ['company.emailProvider', 'company.techStack'], call);
}
