import { promises as dns } from 'node:dns';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * DNS as the providers see it. `null` means the name does not exist
 * (NXDOMAIN); an empty list means it exists without records of that type.
 * Other failures (timeouts, SERVFAIL) are thrown: they say nothing about the domain.
 */
export interface NetResolver {
  addresses(host: string): Promise<ResolvedAddress[] | null>;
  mx(domain: string): Promise<{ exchange: string; priority: number }[] | null>;
  txt(domain: string): Promise<string[] | null>;
}

export interface ResolverOptions {
  /** `host` or `host:port` of the DNS servers to ask; the system's when absent. */
  servers?: readonly string[];
  timeoutMs: number;
}

const absent = (err: unknown) => {
  const code = (err as { code?: string }).code;
  if (code === 'ENOTFOUND' || code === 'NXDOMAIN') return null;
  if (code === 'ENODATA') return [];
  throw err;
};

export function createResolver(opts: ResolverOptions): NetResolver {
  const resolver = new dns.Resolver({ timeout: opts.timeoutMs, tries: 2 });
  if (opts.servers?.length) resolver.setServers([...opts.servers]);
  const custom = Boolean(opts.servers?.length);

  async function addresses(host: string): Promise<ResolvedAddress[] | null> {
    if (!custom) {
      // The system resolver (getaddrinfo, /etc/hosts) is what a plain connection would have used.
      const found = await dns.lookup(host, { all: true, verbatim: true }).catch(absent);
      return found?.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })) ?? null;
    }
    const [v4, v6] = await Promise.all([resolver.resolve4(host).catch(absent), resolver.resolve6(host).catch(absent)]);
    if (v4 === null && v6 === null) return null;
    return [...(v4 ?? []).map((address) => ({ address, family: 4 as const })), ...(v6 ?? []).map((address) => ({ address, family: 6 as const }))];
  }

  return {
    addresses,
    mx: (domain) => resolver.resolveMx(domain).catch(absent),
    txt: async (domain) => {
      const records = await resolver.resolveTxt(domain).catch(absent);
      return records?.map((chunks) => chunks.join('')) ?? null;
    },
  };
}
