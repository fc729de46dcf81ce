import { quoted } from '../../../shared/index.js';
import type { NormalizedInput } from '../../engine/normalize.js';

const PLACEHOLDER = /\{\{\s*([a-zA-Z]+)\s*\}\}/g;
const WHOLE = /^\{\{\s*([a-zA-Z]+)\s*\}\}$/;

const placeholderValue = (input: NormalizedInput, name: string): string => input[name as keyof NormalizedInput] ?? '';

/** The placeholders a URL template takes its host (or port) from: where there are any, the row chooses the server. */
export function hostPlaceholders(template: string): string[] {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(template)?.[1] ?? '';
  return [...authority.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

export const inputInHost = (template: string): boolean => hostPlaceholders(template).length > 0;

/**
 * Why the URL cannot be formed from this input, where the input is part of
 * the host: an encoded `:`, `/`, `@` or `[` (or a space) can never be in a
 * host name. Undefined when the URL parses.
 */
export function unformableUrl(template: string, input: NormalizedInput, provider: string): string | undefined {
  try {
    new URL(expandUrl(template, input));
    return undefined;
  } catch {
    const names = hostPlaceholders(template);
    const shown = names.map((n) => quoted(placeholderValue(input, n))).join(' + ');
    return `${names.join(' + ')}: ${shown} cannot be part of a host name, as ${provider}'s URL needs`;
  }
}

/** URL templates: every placeholder is URL-encoded, so input can never add a path, query or host. */
export function expandUrl(template: string, input: NormalizedInput): string {
  return template.replace(PLACEHOLDER, (_, name: string) => encodeURIComponent(placeholderValue(input, name)));
}

/** Header templates: line breaks are dropped so input cannot add headers. */
export function expandHeader(template: string, input: NormalizedInput): string {
  return template.replace(PLACEHOLDER, (_, name: string) => placeholderValue(input, name).replace(/[\r\n]/g, ''));
}

/** JSON body templates: a string that is only a placeholder becomes that value; JSON encoding does the escaping. */
export function expandBody(template: unknown, input: NormalizedInput): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    if (whole) return input[whole[1] as keyof NormalizedInput] ?? null;
    return template.replace(PLACEHOLDER, (_, name: string) => placeholderValue(input, name));
  }
  if (Array.isArray(template)) return template.map((t) => expandBody(t, input));
  if (template && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, expandBody(v, input)]));
  }
  return template;
}
