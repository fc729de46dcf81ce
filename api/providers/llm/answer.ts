import { z } from 'zod';
import { FieldValueSchema, type Field } from '../../../shared/index.js';
import { coerceValue } from '../http/coerce.js';
import type { FieldValues } from '../types.js';

const Prediction = z.object({ value: FieldValueSchema.nullable(), confidence: z.number().min(0).max(1) });
const Envelope = z.object({ choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1) });
const Answer = z.object({ fields: z.record(z.string(), Prediction.nullable()) });

export type Parsed = { ok: true; values: FieldValues; confidence: Partial<Record<Field, number>> } | { ok: false; message: string };

const describe = (e: z.ZodError) =>
  e.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');

/**
 * A chat-completions answer to field values and their confidences. The
 * model's JSON must match the schema as a whole (else the answer is bad);
 * fields not asked for, nulls and predictions below the bar are dropped.
 */
export function parseAnswer(body: unknown, fields: readonly Field[], minConfidence: number): Parsed {
  const env = Envelope.safeParse(body);
  if (!env.success) return { ok: false, message: `not a chat-completions answer (${describe(env.error)})` };
  const content = env.data.choices[0]!.message.content ?? '';
  // Some servers wrap JSON in a Markdown fence even in JSON mode.
  const text = content.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/i, '$1');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, message: 'the model did not answer with JSON' };
  }
  const answer = Answer.safeParse(json);
  if (!answer.success) return { ok: false, message: `the model's JSON does not match the schema (${describe(answer.error)})` };
  const values: FieldValues = {};
  const confidence: Partial<Record<Field, number>> = {};
  for (const f of fields) {
    const p = answer.data.fields[f];
    if (!p || p.value === null || p.confidence < minConfidence) continue;
    const v = coerceValue(p.value);
    if (v === undefined) continue;
    values[f] = v;
    confidence[f] = Math.round(p.confidence * 100) / 100;
  }
  return { ok: true, values, confidence };
}
