import { createHash } from 'node:crypto';
import type { LlmProviderConfig } from '../../config/schema.js';
import { waitFromHeaders } from '../http/retryAfter.js';
import type { CallResult, HttpClient, HttpReply, Provider } from '../types.js';
import { parseAnswer } from './answer.js';
import { PROMPT_REVISION, systemPrompt, userPrompt } from './prompt.js';
import { withDeadline, type Deadline } from '../deadline.js';
import { noAnswer } from '../noAnswer.js';

const MAX_BODY = 1024 * 1024;

export interface LlmProviderDeps {
  http: HttpClient;
  now: () => number;
}

/**
 * Predictive fill-in from an OpenAI-compatible chat-completions endpoint. Its
 * values are predictions with confidences: the engine asks it last, only for
 * jobs that want predictions, and never lets it overwrite a found value.
 */
export function llmProvider(cfg: LlmProviderConfig, deps: LlmProviderDeps): Provider {
  const name = cfg.label ?? `LLM (${cfg.model})`;
  const url = `${cfg.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  // Anything that changes the question changes the cache key: answers to another prompt are not reused.
  const digest = createHash('sha256')
    .update(JSON.stringify([PROMPT_REVISION, cfg.model, cfg.fields, cfg.instructions ?? '', cfg.minConfidence]))
    .digest('hex')
    .slice(0, 10);
  const system = systemPrompt(cfg.instructions);

  const call: Provider['call'] = (input, signal) => withDeadline(cfg.timeoutMs, signal, (limit) => attempt(input, signal, limit));

  async function attempt(input: Parameters<Provider['call']>[0], signal: AbortSignal | undefined, limit: Deadline): Promise<CallResult> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (cfg.apiKey) headers.authorization = `Bearer ${cfg.apiKey}`;
    const body = JSON.stringify({
      model: cfg.model,
      temperature: 0,
      max_tokens: cfg.maxTokens,
      ...(cfg.jsonMode ? { response_format: { type: 'json_object' } } : {}),
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: userPrompt(input, cfg.fields) },
      ],
    });
    let res: HttpReply;
    try {
      res = await deps.http({ method: 'POST', url, headers, body, signal: limit.signal, maxBytes: MAX_BODY });
    } catch (err) {
      if (signal?.aborted) throw err;
      return noAnswer(name, err, limit, cfg.timeoutMs);
    }
    const status = res.status;
    if (status === 429) {
      return { kind: 'rate_limited', status, retryAfterMs: waitFromHeaders(res.headers, deps.now()) };
    }
    if (status >= 500 || status === 408) {
      return { kind: 'transient', status, code: 'provider_unavailable', message: `${name} answered HTTP ${status}` };
    }
    if (status < 200 || status >= 300) {
      return { kind: 'permanent', status, code: 'provider_rejected', message: `${name} refused the request (HTTP ${status})` };
    }
    let doc: unknown;
    try {
      if (res.body === undefined) throw new Error('too large');
      doc = JSON.parse(res.body);
    } catch {
      return { kind: 'transient', status, code: 'provider_bad_response', message: `${name} sent an answer that is not JSON` };
    }
    const parsed = parseAnswer(doc, cfg.fields, cfg.minConfidence);
    // Asking again would buy the same answer: flag the row (retryable by hand) instead of retrying.
    if (!parsed.ok) return { kind: 'permanent', status, code: 'provider_bad_response', message: `${name}: ${parsed.message}` };
    if (Object.keys(parsed.values).length === 0) return { kind: 'no_match', status };
    return { kind: 'match', values: parsed.values, confidence: parsed.confidence, status };
  }

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
