import { storableText } from '../../shared/index.js';
import type { CallResult, FieldValues, Provider } from './types.js';

/**
 * A provider whose answers are storable text (shared/text.ts): a value or a
 * message carrying an unpaired surrogate or a NUL (a page's JSON-LD, a
 * model's reply, an API's error text) has them replaced by U+FFFD before the
 * engine caches, journals or shows it. Every built provider is wrapped, so no
 * kind can forget.
 */
export function withStorableAnswers(provider: Provider): Provider {
  const call = provider.call.bind(provider);
  return { ...provider, call: async (input, signal) => storableResult(await call(input, signal)) };
}

function storableResult(result: CallResult): CallResult {
  switch (result.kind) {
    case 'match':
      return { ...result, values: storableValues(result.values) };
    case 'transient':
    case 'permanent':
      return { ...result, message: storableText(result.message) };
    default:
      return result;
  }
}

function storableValues(values: FieldValues): FieldValues {
  const out: FieldValues = {};
  for (const [field, v] of Object.entries(values) as [keyof FieldValues, FieldValues[keyof FieldValues]][]) {
    out[field] = typeof v === 'string' ? storableText(v) : Array.isArray(v) ? v.map(storableText) : v;
  }
  return out;
}
