import { randomUUID } from 'node:crypto';
import { listen, parseJson, readBody, send, sleep } from './listen.js';

/**
 * How a request is answered. `ok` runs the answer function; the rest are the
 * failures a qualification client must survive: 429 with reset headers, 500,
 * no answer at all, a refusal, and 200 content that is not the JSON asked for.
 */
export type LlmMode = 'ok' | 'rate_limited' | 'error' | 'hang' | 'refusal' | 'malformed';

export interface ChatMessage {
  role: string;
  /** A string, or content parts of which the `text` ones are read. */
  content: string | null | { type: string; text?: string }[];
}

/** What the assistant says: content, or a refusal with null content. */
export interface LlmReply {
  content: string | null;
  refusal?: string | null;
}

export interface FakeLlmOptions {
  /** Added before every answer except a 429, which a real server gives at the door. */
  latencyMs?: number;
  /** The assistant's reply to a request's messages; `qualifyByScore` by default. */
  answer?: (messages: ChatMessage[]) => string | LlmReply;
}

export interface LlmRequest {
  /** The parsed JSON body; undefined when it was not JSON. */
  body: any;
  at: number;
  mode: LlmMode;
  /** The status answered; absent while in flight, and for ever for a hung request. */
  status?: number;
}

export interface FakeLlm {
  /** The server's origin. */
  url: string;
  /** `${url}/v1`, the `baseUrl` an OpenAI-compatible client takes: it posts to `${baseUrl}/chat/completions`. */
  baseUrl: string;
  requests: LlmRequest[];
  /** The mode for every request from now on, fixed or chosen per request from its body. `ok` at start. */
  mode(m: LlmMode | ((body: any) => LlmMode)): void;
  /** Serve the next `n` requests in this mode, before `mode` applies again. Calls queue up in order. */
  failNext(n: number, mode: LlmMode): void;
  /**
   * Requests whose key (from their messages, e.g. the lead's email) repeats
   * that of an earlier-arriving request answered `ok` with 200: a lead
   * qualified, and paid for, twice. Counted whether or not that answer had
   * been sent when the repeat arrived; both calls were paid for. Requests
   * whose key is undefined are ignored.
   */
  duplicates(keyOf: (messages: ChatMessage[]) => string | undefined): number;
  close(): Promise<void>;
}

const textOf = (content: ChatMessage['content'] | undefined): string =>
  typeof content === 'string' ? content : (content ?? []).map((p) => p.text ?? '').join('\n');

/**
 * The default assistant for a lead-qualification prompt: reads `"score": <n>`
 * (or a line `score: <n>`) in the last user message, 0 if there is none, and
 * answers `{"qualified": score >= 60, "reason": "..."}` as JSON content.
 * Deterministic, so a test can predict every verdict.
 */
export function qualifyByScore(messages: ChatMessage[]): string {
  const last = messages.findLast((m) => m.role === 'user');
  const match = /(?:^|["\s{,])score"?\s*:\s*(-?\d+(?:\.\d+)?)/im.exec(textOf(last?.content));
  const score = match ? Number(match[1]) : 0;
  const qualified = score >= 60;
  const reason = qualified ? `Its score of ${score} meets the threshold of 60.` : `Its score of ${score} is below the threshold of 60.`;
  return JSON.stringify({ qualified, reason });
}

/** OpenAI's error body. */
const openAiError = (message: string, type: string, code: string | null = null) => ({ error: { message, type, param: null, code } });

/** A rough token count (four characters a token), so `usage` is plausible and grows with the prompt. */
const tokens = (s: string) => Math.ceil(s.length / 4);

/**
 * An OpenAI-compatible chat completions server on 127.0.0.1
 * (`POST /v1/chat/completions`) with a deterministic assistant and every
 * failure a client must handle, switchable while it runs.
 */
export async function startFakeLlm(opts: FakeLlmOptions = {}): Promise<FakeLlm> {
  const answerOf = opts.answer ?? qualifyByScore;
  const requests: LlmRequest[] = [];
  let modeOf: (body: any) => LlmMode = () => 'ok';
  const queued: LlmMode[] = [];

  function completion(body: any, reply: LlmReply) {
    const prompt = (body.messages as ChatMessage[]).map((m) => textOf(m.content)).join('\n');
    const said = reply.content ?? reply.refusal ?? '';
    return {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: typeof body.model === 'string' ? body.model : 'fake-llm',
      choices: [{ index: 0, message: { role: 'assistant', content: reply.content, refusal: reply.refusal ?? null }, finish_reason: 'stop' }],
      usage: { prompt_tokens: tokens(prompt), completion_tokens: tokens(said), total_tokens: tokens(prompt) + tokens(said) },
    };
  }

  const { url, close } = await listen(async (req, res) => {
    const raw = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://llm.local').pathname;
    const body = parseJson(raw) as any;
    const entry: LlmRequest = { body, at: Date.now(), mode: 'ok' };
    requests.push(entry);
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      send(res, status, payload, headers);
    };
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      return reply(404, openAiError(`Invalid URL (${req.method} ${path})`, 'invalid_request_error'));
    }
    if (body === undefined) return reply(400, openAiError('We could not parse the JSON body of your request.', 'invalid_request_error'));
    if (!Array.isArray(body.messages)) return reply(400, openAiError("'messages' is a required property", 'invalid_request_error'));
    const mode = (entry.mode = queued.shift() ?? modeOf(body));
    if (mode === 'hang') return;
    if (mode === 'rate_limited') {
      return reply(429, openAiError('Rate limit reached for requests. Please try again in 1s.', 'requests', 'rate_limit_exceeded'), {
        'retry-after': '1',
        'x-ratelimit-reset-requests': '1s',
      });
    }
    if (opts.latencyMs) await sleep(opts.latencyMs);
    if (mode === 'error') return reply(500, openAiError('The server had an error while processing your request. Sorry about that!', 'server_error'));
    if (mode === 'refusal') return reply(200, completion(body, { content: null, refusal: "I can't help with that." }));
    if (mode === 'malformed') return reply(200, completion(body, { content: 'Sure! The lead looks qualified.' }));
    const answer = answerOf(body.messages);
    reply(200, completion(body, typeof answer === 'string' ? { content: answer } : answer));
  });

  return {
    url,
    baseUrl: `${url}/v1`,
    requests,
    mode(m) {
      modeOf = typeof m === 'function' ? m : () => m;
    },
    failNext(n, mode) {
      for (let i = 0; i < n; i++) queued.push(mode);
    },
    duplicates(keyOf) {
      const keyed = requests.flatMap((r) => {
        const key = Array.isArray(r.body?.messages) ? keyOf(r.body.messages) : undefined;
        return key === undefined ? [] : [{ key, answered: r.mode === 'ok' && r.status === 200 }];
      });
      return keyed.filter((r, n) => keyed.slice(0, n).some((e) => e.key === r.key && e.answered)).length;
    },
    close,
  };
}
