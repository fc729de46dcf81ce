import { FIELDS, type Field } from '../../../shared/index.js';
import type { NormalizedInput } from '../../engine/normalize.js';

/** Bump when the wording below changes: it is part of every llm provider's cache key. */
export const PROMPT_REVISION = 1;

export function systemPrompt(instructions: string | undefined): string {
  return [
    'You help a sales team fill in missing facts about business leads from what you already know.',
    'Answer with one JSON object and nothing else, shaped as {"fields": {"<field>": {"value": <string, number or list of strings, or null>, "confidence": <number from 0 to 1>}}}.',
    'Give only the fields asked for. Use null with confidence 0 when you do not know: a wrong value costs more than a missing one.',
    'Never make up email addresses, phone numbers or URLs.',
    ...(instructions ? [instructions] : []),
  ].join('\n');
}

export function userPrompt(input: NormalizedInput, fields: readonly Field[]): string {
  const known = Object.entries(input)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
  const wanted = fields.map((f) => `${f} (${FIELDS[f].label})`).join('\n');
  return `Lead:\n${known}\n\nFields wanted:\n${wanted}`;
}
