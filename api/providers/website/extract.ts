import type { FieldValues } from '../types.js';
import { nameFromTitle } from './companyName.js';
import { contacts, organization, textOf, urlsOf } from './jsonLd.js';
import { absoluteUrl, type Page } from './page.js';
import { socialProfile } from './socials.js';
import { detectTech } from './techStack.js';

const EMAIL = /^[^\s@<>()]{1,64}@[a-z0-9.-]{1,253}\.[a-z]{2,63}$/i;
const PHONE_DIGITS = /\d/g;

const clip = (s: string | undefined, max: number) => {
  const t = s?.replace(/\s+/g, ' ').trim();
  return t ? t.slice(0, max) : undefined;
};

function phone(raw: string): string | undefined {
  const s = raw.replace(/^tel:/i, '').trim();
  const digits = s.match(PHONE_DIGITS)?.length ?? 0;
  return digits >= 7 && digits <= 15 && /^[+\d\s().\-/]+$/.test(s) ? s : undefined;
}

/** What a company's home page says about it, each field from its most explicit source. */
export function extractCompany(page: Page, domain: string): FieldValues {
  const org = organization(page);
  const out: FieldValues = {};
  const set = <K extends keyof FieldValues>(k: K, v: FieldValues[K] | undefined) => {
    if (v !== undefined && (!Array.isArray(v) || v.length > 0)) out[k] = v;
  };

  set('company.name', clip(page.meta.get('og:site_name') ?? page.meta.get('application-name') ?? textOf(org?.name) ?? nameFromTitle(page.title, domain), 200));
  set('company.description', clip(page.meta.get('og:description') ?? page.meta.get('description') ?? textOf(org?.description), 1000));

  const appleIcon = page.elements.find((e) => e.name === 'link' && /(^|\s)apple-touch-icon(\s|$)/i.test(e.attribs.rel ?? ''));
  set('company.logoUrl', [...urlsOf(org?.logo), appleIcon?.attribs.href].map((u) => absoluteUrl(page, u)).find(Boolean));
  set(
    'company.ogImage',
    absoluteUrl(page, page.meta.get('og:image:secure_url') ?? page.meta.get('og:image') ?? page.meta.get('og:image:url') ?? page.meta.get('twitter:image')),
  );

  // The company's own sameAs list first: footer links can point anywhere (a partner, a share button).
  const links = [...urlsOf(org?.sameAs), ...page.elements.filter((e) => e.name === 'a').map((e) => e.attribs.href)];
  for (const href of links) {
    const url = absoluteUrl(page, href);
    const social = url && socialProfile(url);
    if (social && out[social[0]] === undefined) out[social[0]] = social[1];
  }

  if (org) {
    const c = contacts(org);
    set(
      'company.email',
      c.emails.map((e) => e.replace(/^mailto:/i, '').trim()).find((e) => EMAIL.test(e)),
    );
    set('company.phone', c.phones.map(phone).find(Boolean));
  }
  set('company.techStack', detectTech(page));
  return out;
}
