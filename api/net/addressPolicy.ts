import ipaddr from 'ipaddr.js';

// IPv6 forms that carry an IPv4 address inside: the embedded address is what a connection reaches.
const EMBEDS_V4_LAST32 = new Set(['ipv4Mapped', 'rfc6145', 'rfc6052']);

/**
 * Why a fetch derived from sheet input must not connect to this address, or
 * undefined for a public unicast one. Anything ipaddr.js does not call
 * `unicast` (loopback, private, link-local with 169.254.169.254, CGNAT,
 * multicast, reserved, unique-local, Teredo…) is refused: an allowlist,
 * so a range nobody thought of fails closed.
 */
export function refusalReason(ip: string): string | undefined {
  if (!ipaddr.isValid(ip)) return 'not an IP address';
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    const range = v6.range();
    if (EMBEDS_V4_LAST32.has(range)) {
      const b = v6.toByteArray();
      addr = new ipaddr.IPv4(b.slice(12, 16));
    } else if (range === '6to4') {
      const b = v6.toByteArray();
      addr = new ipaddr.IPv4(b.slice(2, 6));
    }
  }
  const range = addr.range();
  return range === 'unicast' ? undefined : range;
}

/** An IP literal as a URL hostname gives it: IPv6 inside brackets. */
export function ipLiteral(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) && (bare.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(bare)) ? bare : undefined;
}
