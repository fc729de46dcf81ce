import type { NormalizedInput } from '../../engine/normalize.js';

const PLACEHOLDER = /\{\{\s*([a-zA-Z]+)\s*\}\}/g;
const WHOLE = /^\{\{\s*([a-zA-Z]+)\s*\}\}$/;

const valueOf = (input: NormalizedInput, name: string): string => input[name as keyof NormalizedInput] ?? '';

/** Whether a URL template takes any part of its host (or port) from the row: then the row chooses the server. */
export function inputInHost(template: string): boolean {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(template)?.[1] ?? '';
  return new RegExp(PLACEHOLDER.source).test(authority);
}

/** URL templates: every placeholder is URL-encoded, so input can never add a path, query or host. */
export function expandUrl(template: string, input: NormalizedInput): string {
  return template.replace(PLACEHOLDER, (_, name: string) => encodeURIComponent(valueOf(input, name)));
}

/** Header templates: line breaks are dropped so input cannot add headers. */
export function expandHeader(template: string, input: NormalizedInput): string {
  return template.replace(PLACEHOLDER, (_, name: string) => valueOf(input, name).replace(/[\r\n]/g, ''));
}

/** JSON body templates: a string that is only a placeholder becomes that value; JSON encoding does the escaping. */
export function expandBody(template: unknown, input: NormalizedInput): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    if (whole) return input[whole[1] as keyof NormalizedInput] ?? null;
    return template.replace(PLACEHOLDER, (_, name: string) => valueOf(input, name));
  }
  if (Array.isArray(template)) return template.map((t) => expandBody(t, input));
  if (template && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, expandBody(v, input)]));
  }
  return template;
}
