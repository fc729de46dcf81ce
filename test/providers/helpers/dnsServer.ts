import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import dnsPacket from 'dns-packet';

export interface Zone {
  A?: string[];
  AAAA?: string[];
  MX?: { exchange: string; preference: number }[];
  TXT?: string[];
}

export interface DnsServer {
  address: string;
  /** Every question asked, as "TYPE name". */
  queries: string[];
  close(): Promise<void>;
}

/**
 * An authoritative DNS server on 127.0.0.1 for test zones: answers A, AAAA,
 * MX and TXT from the map, NODATA for other types of a known name, NXDOMAIN
 * for unknown names. The providers' resolver is pointed at it (net.dnsServers).
 */
export async function startDnsServer(zones: Record<string, Zone>): Promise<DnsServer> {
  const socket = createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (msg, rinfo) => {
    let query: ReturnType<typeof dnsPacket.decode>;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const q = query.questions?.[0];
    if (!q) return;
    queries.push(`${q.type} ${q.name}`);
    const zone = zones[q.name.toLowerCase()];
    const answers: dnsPacket.Answer[] = [];
    if (zone) {
      if (q.type === 'A') for (const data of zone.A ?? []) answers.push({ type: 'A', name: q.name, ttl: 60, data });
      if (q.type === 'AAAA') for (const data of zone.AAAA ?? []) answers.push({ type: 'AAAA', name: q.name, ttl: 60, data });
      if (q.type === 'MX') for (const data of zone.MX ?? []) answers.push({ type: 'MX', name: q.name, ttl: 60, data });
      if (q.type === 'TXT') for (const data of zone.TXT ?? []) answers.push({ type: 'TXT', name: q.name, ttl: 60, data: [data] });
    }
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (zone ? 0 : 3), // rcode 3 = NXDOMAIN
      questions: [q],
      answers,
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    queries,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
