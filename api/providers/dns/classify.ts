import { MX_HOSTS, SPF_SENDERS, VERIFICATIONS } from './signatures.js';

const lookup = (table: [RegExp, string][], s: string) => table.find(([re]) => re.test(s))?.[1];

/** Who hosts the domain's mail, from its MX records: a known provider, "Self-hosted", "Other (host)", or "None". */
export function emailProvider(domain: string, mx: { exchange: string; priority: number }[]): string {
  const hosts = [...mx].sort((a, b) => a.priority - b.priority).map((r) => r.exchange.toLowerCase().replace(/\.$/, ''));
  // RFC 7505 "null MX" (a single "." record): the domain says it takes no mail.
  const real = hosts.filter(Boolean);
  if (real.length === 0) return 'None';
  for (const h of real) {
    const known = lookup(MX_HOSTS, h);
    if (known) return known;
  }
  const first = real[0]!;
  if (first === domain || first.endsWith(`.${domain}`)) return 'Self-hosted';
  return `Other (${first.split('.').slice(-2).join('.')})`;
}

/** Services named by the SPF record and by verification TXT records, each once, in the order found. */
export function saasFromTxt(txt: string[]): string[] {
  const found = new Set<string>();
  for (const record of txt) {
    const r = record.trim();
    if (/^v=spf1\b/i.test(r)) {
      for (const m of r.matchAll(/\b(?:include:|redirect=)([^\s]+)/gi)) {
        const name = lookup(SPF_SENDERS, m[1]!.toLowerCase().replace(/\.$/, ''));
        if (name) found.add(name);
      }
    } else {
      const name = lookup(VERIFICATIONS, r);
      if (name) found.add(name);
    }
  }
  return [...found];
}
