import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  authorization?: string;
  body: { model: string; messages: { role: string; content: string }[]; response_format?: unknown; temperature?: number };
}

export interface ChatServer {
  url: string;
  requests: ChatRequest[];
  /** The assistant message content to answer with, from the request; a number answers that HTTP status instead. */
  reply: (req: ChatRequest) => string | number;
  close(): Promise<void>;
}

/** An OpenAI-compatible chat-completions endpoint on 127.0.0.1 (POST /v1/chat/completions), answering what a test scripts. */
export async function startChatServer(): Promise<ChatServer> {
  const state: ChatServer = { url: '', requests: [], reply: () => '{"fields": {}}', close: async () => {} };
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return res.writeHead(404).end();
      const r: ChatRequest = { authorization: req.headers.authorization, body: JSON.parse(raw) };
      state.requests.push(r);
      const out = state.reply(r);
      if (typeof out === 'number') {
        res.writeHead(out, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: { message: 'scripted failure', type: 'invalid_request_error' } }));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1_790_000_000,
          model: r.body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: out }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 120, completion_tokens: 40, total_tokens: 160 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  state.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
