import type { LookupFunction } from 'node:net';
import { refusalReason } from './addressPolicy.js';
import { BlockedAddressError } from './blocked.js';
import type { NetResolver, ResolvedAddress } from './resolver.js';

export interface GuardOptions {
  resolver: NetResolver;
  /**
   * Loopback ports that may be reached anyway: for local test servers only.
   * Empty in production; the registry logs loudly when it is not.
   */
  allowLoopbackPorts: readonly number[];
}

/**
 * Decides which addresses a fetch derived from sheet input may connect to.
 * The connection is made to the very addresses checked here (the connector's
 * lookup is this guard), so a name cannot pass the check with one answer and
 * connect with another (DNS rebinding).
 */
export class AddressGuard {
  constructor(private readonly opts: GuardOptions) {}

  /** Throws BlockedAddressError unless `ip` may be reached on `port`. */
  checkAddress(ip: string, port: number, host = ip): void {
    const reason = refusalReason(ip);
    if (reason === undefined) return;
    if (reason === 'loopback' && this.opts.allowLoopbackPorts.includes(port)) return;
    throw new BlockedAddressError(`${host} resolves to a ${reason} address (${ip}); fetching it is refused`);
  }

  /** The addresses of `host` that may be reached; refuses the host when none may. */
  async resolve(host: string, port: number): Promise<ResolvedAddress[]> {
    const found = await this.opts.resolver.addresses(host);
    if (!found?.length) throw Object.assign(new Error(`${host} does not resolve`), { code: 'ENOTFOUND' });
    const allowed: ResolvedAddress[] = [];
    let refusal: unknown;
    for (const a of found) {
      try {
        this.checkAddress(a.address, port, host);
        allowed.push(a);
      } catch (err) {
        refusal = err;
      }
    }
    if (allowed.length === 0) throw refusal;
    return allowed;
  }

  /** A `lookup` for net/tls.connect that only ever yields checked addresses. */
  lookupFor(port: number): LookupFunction {
    return (hostname, options, callback) => {
      this.resolve(hostname, port).then(
        (addrs) => {
          if (options.all) (callback as (e: null, a: ResolvedAddress[]) => void)(null, addrs);
          else callback(null, addrs[0]!.address, addrs[0]!.family);
        },
        (err: NodeJS.ErrnoException) => callback(err, '', 0),
      );
    };
  }
}
