import type { Config } from '../config/schema.js';
import type { Log } from '../log.js';
import { AddressGuard } from '../net/guard.js';
import { createResolver } from '../net/resolver.js';
import { dnsProvider } from './dns/provider.js';
import { emailCheckProvider } from './emailCheck/provider.js';
import { httpProvider } from './http/provider.js';
import { llmProvider } from './llm/provider.js';
import { withStorableAnswers } from './storableAnswers.js';
import type { HttpClient, Provider } from './types.js';
import { websiteProvider } from './website/provider.js';

export interface ProviderDeps {
  http: HttpClient;
  now: () => number;
  log?: Log;
}

/** Builds the configured providers, one branch per provider kind, each answering only storable text. */
export function buildProviders(config: Config, deps: ProviderDeps): Provider[] {
  const resolver = createResolver({ servers: config.net.dnsServers, timeoutMs: config.net.dnsTimeoutMs });
  const guard = new AddressGuard({ resolver, allowLoopbackPorts: config.net.allowLoopbackPorts });
  if (config.net.allowLoopbackPorts.length > 0) {
    deps.log?.(
      `WARNING: UNSAFE net.allowLoopbackPorts is set: fetches derived from sheet input may reach this machine's loopback ports ${config.net.allowLoopbackPorts.join(', ')}. For local tests only; never in production.`,
    );
  }
  return config.providers.map((p) => withStorableAnswers(build(p)));

  function build(p: Config['providers'][number]): Provider {
    switch (p.kind) {
      case 'http':
        return httpProvider(p, { ...deps, guard });
      case 'website':
        return websiteProvider(p, { guard, now: deps.now });
      case 'dns':
        return dnsProvider(p, { resolver, now: deps.now });
      case 'email-check':
        return emailCheckProvider(p, { resolver, now: deps.now });
      case 'llm':
        return llmProvider(p, deps);
    }
  }
}
