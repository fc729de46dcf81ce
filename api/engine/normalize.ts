import { domainToASCII } from 'node:url';
import { getPublicSuffix } from 'tldts';
import { INPUT_LIMITS, quoted, textFault, type InputKind, type RowInput } from '../../shared/index.js';

/** A row's input after normalisation: the form cache keys and provider requests are built from. */
export interface NormalizedInput {
  email?: string;
  domain?: string;
  firstName?: string;
  lastName?: string;
  fullName?: string;
  company?: string;
  linkedinUrl?: string;
}

export type Normalized = { ok: true; input: NormalizedInput; kinds: Set<InputKind>; segment: string } | { ok: false; field: string; message: string };

// Mailbox providers: their domain says nothing about the person's company.
const FREEMAIL = new Set([
  'gmail.com',
  'googlemail.com',
  'yahoo.com',
  'hotmail.com',
  'outlook.com',
  'live.com',
  'msn.com',
  'icloud.com',
  'me.com',
  'aol.com',
  'proton.me',
  'protonmail.com',
  'gmx.com',
  'gmx.de',
  'web.de',
  'yandex.ru',
  'mail.ru',
  'qq.com',
  '163.com',
  'orange.fr',
  'free.fr',
  'laposte.net',
  'libero.it',
]);

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const EMAIL_LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/;

export function normalizeDomain(raw: string): string | undefined {
  let s = raw.trim().toLowerCase();
  if (!s) return undefined;
  if (s.includes('@') && !s.includes('/')) s = s.slice(s.lastIndexOf('@') + 1);
  if (!/^[a-z][a-z0-9+.-]*:\/\//.test(s)) s = `http://${s}`;
  let host: string;
  try {
    host = new URL(s).hostname;
  } catch {
    return undefined;
  }
  host = domainToASCII(host.replace(/\.$/, ''));
  if (host.startsWith('www.')) host = host.slice(4);
  const labels = host.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return undefined;
  const tld = labels[labels.length - 1]!;
  if (!/^(?:[a-z]{2,63}|xn--[a-z0-9-]+)$/.test(tld)) return undefined;
  return host;
}

export function normalizeEmail(raw: string): string | undefined {
  const s = raw.trim().toLowerCase();
  const at = s.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = s.slice(0, at);
  const domain = normalizeDomain(s.slice(at + 1));
  if (!EMAIL_LOCAL.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..') || !domain) {
    return undefined;
  }
  return `${local}@${domain}`;
}

export function normalizeLinkedinUrl(raw: string): string | undefined {
  let url: URL;
  try {
    const s = raw.trim();
    url = new URL(/^https?:\/\//i.test(s) ? s : `https://${s}`);
  } catch {
    return undefined;
  }
  if (!/(^|\.)linkedin\.com$/i.test(url.hostname)) return undefined;
  const m = /^\/(in|company|pub)\/([^/?#]+)/i.exec(url.pathname);
  if (!m) return undefined;
  let slug: string;
  try {
    slug = decodeURIComponent(m[2]!);
  } catch {
    return undefined; // a broken percent escape ("100%-sales"): not a URL LinkedIn gave out
  }
  return `https://www.linkedin.com/${m[1]!.toLowerCase()}/${slug.toLowerCase()}`;
}

const clean = (s: string | undefined) => s?.replace(/\s+/g, ' ').trim() || undefined;

// The domain is normalised already (ASCII, lower case, no www.): tldts need not parse or check it again.
// ICANN suffixes only: a private one (github.io, blogspot.com) names a hosting service, not a market.
const SUFFIX_OPTIONS = { allowPrivateDomains: false, extractHostname: false, validateHostname: false, detectIp: false, mixedInputs: false } as const;

/**
 * The segment order statistics are kept for: the public suffix of the
 * input's domain (`com`, `io`, `de`, `co.uk`, `com.au`; IDNs in their
 * xn-- form), or "generic" for a row without a domain (the segment every
 * row outside a country TLD had before, so journalled answers of rows
 * without a domain still count for them). Order.ts pools a rare segment
 * toward its TLD and the workspace; this only names it.
 *
 * At most two labels, and the TLD for a domain that is itself a suffix
 * (`co.uk`, `acme.ck` under `*.ck`), so wildcard rules (`*.kawasaki.jp`
 * makes every city a suffix) do not split the statistics by city or company;
 * only a subdomain under such a rule (`shop.acme.ck`) still gets a segment
 * of its own, which pools like any rare one. Runs per row at intake: a
 * domain of two labels (most of them) is answered without the suffix list.
 */
export function segmentOf(domain: string | undefined): string {
  if (!domain) return 'generic';
  const dot = domain.lastIndexOf('.');
  const tld = domain.slice(dot + 1);
  if (domain.indexOf('.') === dot) return tld;
  const suffix = getPublicSuffix(domain, SUFFIX_OPTIONS);
  if (!suffix || suffix === domain || suffix === tld) return tld;
  const cut = suffix.lastIndexOf('.', suffix.length - tld.length - 2);
  return cut === -1 ? suffix : suffix.slice(cut + 1);
}

/**
 * Why a cell's value cannot be used at all, before its meaning is looked at:
 * too long, or holding text that cannot be stored (see shared/text.ts).
 * Such a value flags its row; the rest of the batch runs.
 */
function cellFault(field: keyof RowInput, value: string): string | undefined {
  const limit = INPUT_LIMITS[field];
  if (value.length > limit) return `is ${value.length.toLocaleString('en-US')} characters long; at most ${limit.toLocaleString('en-US')} are read`;
  return textFault(value);
}

export function normalizeInput(raw: RowInput): Normalized {
  for (const field of Object.keys(raw) as (keyof RowInput)[]) {
    const value = raw[field];
    const fault = value === undefined ? undefined : cellFault(field, value);
    if (fault) return { ok: false, field, message: fault };
  }
  const input: NormalizedInput = {};
  if (raw.email?.trim()) {
    const email = normalizeEmail(raw.email);
    if (!email) return { ok: false, field: 'email', message: `${quoted(raw.email)} is not an email address` };
    input.email = email;
  }
  if (raw.domain?.trim()) {
    const domain = normalizeDomain(raw.domain);
    if (!domain) return { ok: false, field: 'domain', message: `${quoted(raw.domain)} is not a domain or website` };
    input.domain = domain;
  } else if (input.email) {
    const fromEmail = input.email.slice(input.email.indexOf('@') + 1);
    if (!FREEMAIL.has(fromEmail)) input.domain = fromEmail;
  }
  if (raw.linkedinUrl?.trim()) {
    const li = normalizeLinkedinUrl(raw.linkedinUrl);
    if (!li) return { ok: false, field: 'linkedinUrl', message: `${quoted(raw.linkedinUrl)} is not a LinkedIn profile or company URL` };
    input.linkedinUrl = li;
  }
  const first = clean(raw.firstName);
  const last = clean(raw.lastName);
  const full = clean(raw.fullName) ?? (first && last ? `${first} ${last}` : undefined);
  if (full) {
    input.fullName = full;
    const parts = full.split(' ');
    input.firstName = first ?? parts[0];
    input.lastName = last ?? (parts.length > 1 ? parts.slice(1).join(' ') : undefined);
  } else if (first || last) {
    return { ok: false, field: first ? 'lastName' : 'firstName', message: 'a name needs both first and last name, or a full name' };
  }
  const company = clean(raw.company);
  if (company) input.company = company;

  const kinds = new Set<InputKind>();
  if (input.email) kinds.add('email');
  if (input.domain) kinds.add('domain');
  if (input.fullName && input.lastName) kinds.add('name');
  if (input.company) kinds.add('company');
  if (input.linkedinUrl) kinds.add('linkedinUrl');
  if (kinds.size === 0) return { ok: false, field: 'input', message: 'the row has no email, domain, name, company or LinkedIn URL' };
  return { ok: true, input, kinds, segment: segmentOf(input.domain) };
}

const KIND_VALUES: Record<InputKind, (i: NormalizedInput) => string | undefined> = {
  email: (i) => i.email,
  domain: (i) => i.domain,
  name: (i) => i.fullName?.toLowerCase(),
  company: (i) => i.company?.toLowerCase(),
  linkedinUrl: (i) => i.linkedinUrl,
};

/** Cache key for one provider's view of a row: only the inputs it reads, so rows that differ elsewhere share answers. */
export function inputKey(kinds: readonly InputKind[], input: NormalizedInput): string {
  return kinds.map((k) => `${k}=${KIND_VALUES[k](input) ?? ''}`).join('|');
}
