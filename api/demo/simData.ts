import type { Field, FieldValue } from '../../shared/index.js';
import { unitHash } from './prng.js';

const INDUSTRIES = ['Software', 'Manufacturing', 'Retail', 'Financial Services', 'Healthcare', 'Logistics', 'Media', 'Education'];
const TITLES = ['Head of Sales', 'VP Marketing', 'RevOps Manager', 'Account Executive', 'CTO', 'Founder & CEO', 'Growth Lead'];
const SENIORITY = ['director', 'vp', 'manager', 'senior', 'c_suite', 'c_suite', 'manager'];
const COUNTRIES: Record<string, string> = {
  de: 'Germany',
  fr: 'France',
  uk: 'United Kingdom',
  nl: 'Netherlands',
  es: 'Spain',
  it: 'Italy',
  jp: 'Japan',
  br: 'Brazil',
  io: 'United States',
};

const pick = <T>(list: readonly T[], seed: string): T => list[Math.floor(unitHash(seed) * list.length)]!;
const title = (s: string) => s.replace(/(^|[-_. ])(\w)/g, (_, sep: string, ch: string) => (sep ? ' ' : '') + ch.toUpperCase());

/** Plausible, deterministic values for a lead: what a simulated provider "knows" about it. */
export function simValues(q: string, fields: readonly Field[]): Partial<Record<Field, FieldValue>> {
  const domain = q.includes('@') ? q.slice(q.indexOf('@') + 1) : q;
  const label = domain.split('.')[0] ?? domain;
  const tld = domain.slice(domain.lastIndexOf('.') + 1);
  const local = q.includes('@') ? q.slice(0, q.indexOf('@')) : 'contact';
  const all: Partial<Record<Field, FieldValue>> = {
    'company.name': title(label),
    'company.domain': domain,
    'company.industry': pick(INDUSTRIES, `ind:${domain}`),
    'company.employees': 10 + Math.floor(unitHash(`emp:${domain}`) * 5000),
    'company.revenue': 1e6 * (1 + Math.floor(unitHash(`rev:${domain}`) * 500)),
    'company.country': COUNTRIES[tld] ?? 'United States',
    'company.linkedinUrl': `https://www.linkedin.com/company/${label}`,
    'company.description': `${title(label)} builds ${pick(INDUSTRIES, `ind:${domain}`).toLowerCase()} products.`,
    'person.fullName': title(local.replace(/\./g, ' ')),
    'person.title': pick(TITLES, `title:${q}`),
    'person.seniority': pick(SENIORITY, `title:${q}`),
    'person.linkedinUrl': `https://www.linkedin.com/in/${local.replace(/\./g, '-')}`,
    'person.emailStatus': unitHash(`valid:${q}`) < 0.85 ? 'valid' : 'accept_all',
  };
  return Object.fromEntries(fields.filter((f) => all[f] !== undefined).map((f) => [f, all[f]!]));
}
