import { kindOfValue } from '../../../shared/index.js';
import type { InputColumns, InputKey } from '../contract.js';
import { isOutputHeader } from './columns.js';

const NAME_WORD = /^[\p{L}][\p{L}'’.-]*$/u;

const words = (v: string) => v.trim().split(/\s+/);
const isNameWord = (v: string) => words(v).length === 1 && NAME_WORD.test(v.trim());
const isFullName = (v: string) => {
  const w = words(v);
  return w.length >= 2 && w.length <= 4 && w.every((x) => NAME_WORD.test(x) && /^\p{Lu}/u.test(x));
};

/** Header spellings, compared without case, spaces or punctuation. */
const HEADERS: Record<InputKey, RegExp> = {
  email: /^(e?mail|emailaddress|workemail|businessemail|contactemail|email\d?)$/,
  linkedinUrl: /linkedin/,
  domain: /^(domain|companydomain|website|companywebsite|web|site|url|websiteurl|homepage)$/,
  firstName: /^(first|firstname|givenname|fname|forename|prenom)$/,
  lastName: /^(last|lastname|surname|familyname|lname|nom)$/,
  fullName: /^(name|fullname|contact|contactname|person|leadname|prospect)$/,
  company: /^(company|companyname|organi[sz]ation|account|accountname|employer|org|business)$/,
};

/** Share of values a kind's pattern must match for the values alone to propose a column. */
const VALUE_SHARE = 0.6;

const VALUE_TESTS: Partial<Record<InputKey, (v: string) => boolean>> = {
  email: (v) => kindOfValue(v) === 'email',
  linkedinUrl: (v) => kindOfValue(v) === 'linkedinUrl',
  domain: (v) => kindOfValue(v) === 'domain',
  fullName: isFullName,
};

// Checked in this order, so a column taken by one kind is not offered to the next.
const ORDER: InputKey[] = ['email', 'linkedinUrl', 'domain', 'firstName', 'lastName', 'fullName', 'company'];

/**
 * Proposes which column feeds which input, from the header row and a sample
 * of values: a recognised header wins when the values do not contradict it
 * (a "Website" column full of emails is not a domain column); values alone
 * propose a column for the kinds they can be told apart by.
 */
export function detectInputs(headers: readonly string[], samples: readonly (readonly string[])[]): InputColumns {
  const taken = new Set<number>();
  const out: InputColumns = {};
  const norm = headers.map((h) => h.toLowerCase().replace(/[^a-z0-9]/g, ''));
  const share = (col: number, test: (v: string) => boolean) => {
    const values = (samples[col] ?? []).filter((v) => v.trim() !== '');
    return values.length === 0 ? undefined : values.filter(test).length / values.length;
  };
  for (const kind of ORDER) {
    let best: { col: number; score: number } | undefined;
    headers.forEach((h, col) => {
      if (taken.has(col) || isOutputHeader(h)) return;
      const test = VALUE_TESTS[kind] ?? (kind === 'firstName' || kind === 'lastName' ? isNameWord : undefined);
      const s = test ? share(col, test) : undefined;
      const byHeader = HEADERS[kind].test(norm[col]!);
      let score = 0;
      if (byHeader) score = s === undefined || s >= 0.3 || !VALUE_TESTS[kind] ? 2 + (s ?? 0) : 0;
      else if (VALUE_TESTS[kind] && kind !== 'fullName' && s !== undefined && s >= VALUE_SHARE) score = 1 + s;
      if (score > 0 && (!best || score > best.score)) best = { col, score };
    });
    if (best) {
      taken.add(best.col);
      out[kind] = best.col + 1;
    }
  }
  return out;
}
