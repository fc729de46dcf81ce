import type { NormalizedInput } from '../normalize.js';

/**
 * Who a lead is, for dedup: its email; without one, its company domain and
 * name. A lead with neither has no identity and is never a duplicate.
 */
export function identityOf(input: NormalizedInput): string | undefined {
  if (input.email) return `email:${input.email.toLowerCase()}`;
  const name = input.fullName ?? [input.firstName, input.lastName].filter(Boolean).join(' ');
  if (input.domain && name) return `name:${input.domain.toLowerCase()}|${name.toLowerCase().replace(/\s+/g, ' ').trim()}`;
  return undefined;
}
