import { createHash } from 'node:crypto';
import type { LlmProviderConfig } from '../../config/schema.js';
import type { CallResult, Provider } from '../types.js';
import { parseAnswer } from './answer.js';
import { chatCompletions, type ChatDeps } from './chat.js';
import { PROMPT_REVISION, systemPrompt, userPrompt } from './prompt.js';

export type LlmProviderDeps = ChatDeps;

/**
 * Predictive fill-in from an OpenAI-compatible chat-completions endpoint. Its
 * values are predictions with confidences: the engine asks it last, only for
 * jobs that want predictions, and never lets it overwrite a found value.
 */
export function llmProvider(cfg: LlmProviderConfig, deps: LlmProviderDeps): Provider {
  const name = cfg.label ?? `LLM (${cfg.model})`;
  // Anything that changes the question changes the cache key: answers to another prompt are not reused.
  const digest = createHash('sha256')
    .update(JSON.stringify([PROMPT_REVISION, cfg.model, cfg.fields, cfg.instructions ?? '', cfg.minConfidence]))
    .digest('hex')
    .slice(0, 10);
  const system = systemPrompt(cfg.instructions);

  const chat = chatCompletions(cfg, deps, name);

  const call: Provider['call'] = async (input, signal): Promise<CallResult> => {
    const reply = await chat(system, userPrompt(input, cfg.fields), signal);
    if (reply.kind !== 'answer') return reply;
    const parsed = parseAnswer(reply.doc, cfg.fields, cfg.minConfidence);
    // Asking again would buy the same answer: flag the row (retryable by hand) instead of retrying.
    if (!parsed.ok) return { kind: 'permanent', status: reply.status, code: 'provider_bad_response', message: `${name}: ${parsed.message}` };
    if (Object.keys(parsed.values).length === 0) return { kind: 'no_match', status: reply.status };
    return { kind: 'match', values: parsed.values, confidence: parsed.confidence, status: reply.status };
  };

  return {
    id: cfg.id,
    label: name,
    demo: false,
    inputs: cfg.input,
    fields: cfg.fields,
    costPerCall: cfg.costPerCall,
    costPerMatch: 0,
    concurrency: cfg.concurrency,
    ratePerSecond: cfg.ratePerSecond,
    timeoutMs: cfg.timeoutMs,
    predictive: true,
    cacheVersion: `${cfg.promptVersion}.${digest}`,
    call,
  };
}
