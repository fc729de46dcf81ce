import type { LlmProviderConfig } from '../../config/schema.js';
import { withDeadline, type Deadline } from '../deadline.js';
import { waitFromHeaders } from '../http/retryAfter.js';
import { noAnswer } from '../noAnswer.js';
import type { CallResult, HttpClient, HttpReply } from '../types.js';

const MAX_BODY = 1024 * 1024;

export interface ChatDeps {
  http: HttpClient;
  now: () => number;
}

/** A request that got no usable answer, as a provider call comes to; or the answer's JSON document. */
export type ChatReply = { kind: 'answer'; doc: unknown; status: number } | Exclude<CallResult, { kind: 'match' | 'no_match' | 'pending' }>;

/**
 * One request to an OpenAI-compatible chat-completions endpoint, within the
 * endpoint's time limit, its failures mapped as every provider's are (429,
 * 5xx, refusals of the request). What the answer means is the caller's: the
 * predictive provider reads field predictions, the pipeline's qualifier a verdict.
 */
export function chatCompletions(cfg: LlmProviderConfig, deps: ChatDeps, name: string) {
  const url = `${cfg.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const ask = async (system: string, user: string, signal: AbortSignal | undefined, limit: Deadline): Promise<ChatReply> => {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (cfg.apiKey) headers.authorization = `Bearer ${cfg.apiKey}`;
    const body = JSON.stringify({
      model: cfg.model,
      temperature: 0,
      max_tokens: cfg.maxTokens,
      ...(cfg.jsonMode ? { response_format: { type: 'json_object' } } : {}),
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
    });
    let res: HttpReply;
    try {
      res = await deps.http({ method: 'POST', url, headers, body, signal: limit.signal, maxBytes: MAX_BODY });
    } catch (err) {
      if (signal?.aborted) throw err;
      return noAnswer(name, err, limit, cfg.timeoutMs) as ChatReply;
    }
    const status = res.status;
    if (status === 429) return { kind: 'rate_limited', status, retryAfterMs: waitFromHeaders(res.headers, deps.now()) };
    if (status >= 500 || status === 408) {
      return { kind: 'transient', status, code: 'provider_unavailable', message: `${name} answered HTTP ${status}` };
    }
    if (status < 200 || status >= 300) {
      return { kind: 'permanent', status, code: 'provider_rejected', message: `${name} refused the request (HTTP ${status})` };
    }
    try {
      if (res.body === undefined) throw new Error('too large');
      return { kind: 'answer', doc: JSON.parse(res.body), status };
    } catch {
      return { kind: 'transient', status, code: 'provider_bad_response', message: `${name} sent an answer that is not JSON` };
    }
  };
  return (system: string, user: string, signal?: AbortSignal): Promise<ChatReply> =>
    withDeadline(cfg.timeoutMs, signal, (limit) => ask(system, user, signal, limit));
}
