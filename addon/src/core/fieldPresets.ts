import { FIELDS, type Field } from '../../../shared/index.js';
import type { OutputColumn } from '../contract.js';

/** Sets of fields people ask for together; a preset button ticks (or unticks) its whole set. */
export const FIELD_PRESETS: { id: string; label: string; fields: Field[] }[] = [
  {
    id: 'company',
    label: 'Company basics',
    fields: ['company.name', 'company.domain', 'company.industry', 'company.employees', 'company.country', 'company.linkedinUrl'],
  },
  {
    id: 'contact',
    label: 'Contact',
    fields: ['person.fullName', 'person.title', 'person.seniority', 'person.email', 'person.emailStatus', 'person.linkedinUrl'],
  },
  { id: 'tech', label: 'Tech', fields: ['company.techStack', 'company.emailProvider', 'company.githubUrl'] },
];

/**
 * A sample value cut to at most `max` characters at a word boundary (space,
 * `@`, `.`, `/`, `-`), with an ellipsis, so a drop-down never shows half a
 * word. A value with no boundary early enough is cut at `max` - 1.
 */
export function shortSample(value: string, max = 18): string {
  const v = value.trim().replace(/\s+/g, ' ');
  if (v.length <= max) return v;
  const head = v.slice(0, max - 1);
  const cut = Math.max(...[' ', '@', '.', '/', '-'].map((c) => head.lastIndexOf(c)));
  return `${(cut >= max / 2 ? head.slice(0, cut) : head).replace(/[\s@./-]+$/, '')}…`;
}

/**
 * The chosen output columns on one line, in column order: `D Company name ·
 * E Industry (new)`. Runs of new columns read as one range (`D–F new`), so
 * thirty fields stay a line or two, not thirty.
 */
export function outputSummary(outputs: Partial<Record<Field, OutputColumn>>): string {
  const cols = (Object.entries(outputs) as [Field, OutputColumn][]).map(([f, o]) => ({ ...o, label: FIELDS[f].label }));
  const index = (letter: string) => [...letter].reduce((n, c) => n * 26 + c.charCodeAt(0) - 64, 0);
  cols.sort((a, b) => index(a.letter) - index(b.letter));
  const parts: string[] = [];
  for (let i = 0; i < cols.length; ) {
    let j = i;
    while (j + 1 < cols.length && !cols[i]!.exists && !cols[j + 1]!.exists && index(cols[j + 1]!.letter) === index(cols[j]!.letter) + 1) j++;
    const run = cols.slice(i, j + 1);
    parts.push(
      run.length > 1
        ? `${run[0]!.letter}–${run[run.length - 1]!.letter} new: ${run.map((c) => c.label).join(', ')}`
        : `${run[0]!.letter} ${run[0]!.label}${run[0]!.exists ? '' : ' (new)'}`,
    );
    i = j + 1;
  }
  return parts.join(' · ');
}
