import { createHash } from 'node:crypto';
import { z } from 'zod';
import { cutText } from '../../../shared/index.js';
import type { PipelineConfig } from '../../config/pipeline.js';
import type { LlmProviderConfig } from '../../config/schema.js';
import type { NormalizedInput } from '../../engine/normalize.js';
import { withStorableAnswers } from '../storableAnswers.js';
import type { CallResult, FieldValues, Provider } from '../types.js';
import { chatCompletions, type ChatDeps } from './chat.js';

/** Bump when the wording below changes: it is part of every qualification's cache key. */
const QUALIFY_PROMPT_REVISION = 1;
const REASON_MAX = 300;

/** What the model is shown of a lead. */
export interface LeadFacts {
  input: NormalizedInput;
  values: FieldValues;
  score: number | undefined;
}

const Envelope = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable(), refusal: z.string().nullable().optional() }) })).min(1),
});
const Verdict = z.object({ qualified: z.boolean(), reason: z.string().trim().min(1) });

function systemPrompt(instructions: string | undefined): string {
  return [
    'You qualify business leads for a sales team against its ideal customer profile.',
    'Answer with one JSON object and nothing else: {"qualified": true or false, "reason": "<one sentence saying why>"}.',
    'Judge only from the facts given; when they are too thin to say, answer false and say what is missing.',
    ...(instructions ? [`What the team means by qualified: ${instructions}`] : []),
  ].join('\n');
}

/** The facts as one JSON document, keys sorted: the same lead always makes the same prompt, and the same cache key. */
function userPrompt(lead: LeadFacts): string {
  const sorted = (o: object) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify({ lead: sorted(lead.input), enriched: sorted(lead.values), score: lead.score ?? null }, null, 1);
}

/** The model's verdict as field values, or why the answer cannot be used. Asking again would buy the same answer: permanent. */
export function readVerdict(doc: unknown, name: string, status: number): CallResult {
  const env = Envelope.safeParse(doc);
  if (!env.success) return { kind: 'permanent', status, code: 'provider_bad_response', message: `${name}: not a chat-completions answer` };
  const { content, refusal } = env.data.choices[0]!.message;
  if (refusal) return { kind: 'permanent', status, code: 'provider_rejected', message: `${name} refused: ${cutText(refusal, 200)}` };
  let json: unknown;
  try {
    json = JSON.parse((content ?? '').trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/i, '$1'));
  } catch {
    return { kind: 'permanent', status, code: 'provider_bad_response', message: `${name} did not answer with JSON` };
  }
  const verdict = Verdict.safeParse(json);
  if (!verdict.success) return { kind: 'permanent', status, code: 'provider_bad_response', message: `${name}'s JSON is not {"qualified", "reason"}` };
  return { kind: 'match', status, values: { 'lead.qualified': verdict.data.qualified, 'lead.reason': cutText(verdict.data.reason, REASON_MAX) } };
}

export interface Qualifier {
  /** Its own flow control, metrics and price: the endpoint's limits, under an id of its own. */
  base: Provider;
  /** The provider call for one lead, and its cache key: (lead input, enriched values, score, prompt version). */
  ask(lead: LeadFacts): { provider: Provider; inputKey: string };
}

/** The pipeline's qualify step on an `llm` provider's endpoint: a yes/no and a one-sentence reason, cached per lead as it stands. */
export function qualifier(llm: LlmProviderConfig, qualify: NonNullable<PipelineConfig['qualify']>, deps: ChatDeps): Qualifier {
  const name = `${llm.label ?? `LLM (${llm.model})`}: qualification`;
  const system = systemPrompt(qualify.instructions);
  const chat = chatCompletions(llm, deps, name);
  const version = createHash('sha256')
    .update(JSON.stringify([QUALIFY_PROMPT_REVISION, qualify.promptVersion, llm.model, system]))
    .digest('hex')
    .slice(0, 12);
  const base: Provider = {
    id: `${llm.id}:qualify`,
    label: name,
    demo: false,
    inputs: [],
    fields: ['lead.qualified', 'lead.reason'],
    costPerCall: llm.costPerCall,
    costPerMatch: 0,
    concurrency: llm.concurrency,
    ratePerSecond: llm.ratePerSecond,
    timeoutMs: llm.timeoutMs,
    predictive: true,
    call: () => Promise.reject(new Error('a qualification is asked through ask(lead)')),
  };
  return {
    base,
    ask(lead) {
      const user = userPrompt(lead);
      const inputKey = `qualify|${version}|${createHash('sha256').update(user).digest('base64url')}`;
      const call: Provider['call'] = async (_input, signal) => {
        const reply = await chat(system, user, signal);
        return reply.kind === 'answer' ? readVerdict(reply.doc, name, reply.status) : reply;
      };
      return { provider: withStorableAnswers({ ...base, call }), inputKey };
    },
  };
}
