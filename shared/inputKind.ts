/**
 * What a single cell's text looks like: how the add-on proposes input
 * columns and reads `=CASCADE(A2, …)`. Named here, beside the API's schemas,
 * because it must agree with what the API accepts: whatever this calls a
 * domain or an email, the API's normaliser takes as one (IDN included:
 * `münchen.de` is a domain, not a company name).
 */
const LABEL = '[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]*[\\p{L}\\p{N}])?';
const TLD = '(?:\\p{L}{2,63}|xn--[a-z0-9-]+)';
// The local part as the API takes it (ASCII, RFC 5322's atom characters); the domain may be an IDN.
const EMAIL = new RegExp(`^[a-z0-9!#$%&'*+/=?^_\`{|}~.-]{1,64}@(?:${LABEL}\\.)+${TLD}$`, 'iu');
const LINKEDIN = /^(https?:\/\/)?([a-z]{2,3}\.)?linkedin\.com\/(in|company|pub)\/[^\s]+$/i;
const DOMAIN = new RegExp(`^(?:https?://)?(?:www\\.)?(?:${LABEL}\\.)+${TLD}(?::\\d+)?(?:/\\S*)?$`, 'iu');

export type DetectedKind = 'email' | 'linkedinUrl' | 'domain';

export function kindOfValue(value: string): DetectedKind | undefined {
  const v = value.trim();
  if (!v) return undefined;
  if (EMAIL.test(v)) return 'email';
  if (LINKEDIN.test(v)) return 'linkedinUrl';
  if (DOMAIN.test(v)) return 'domain';
  return undefined;
}
