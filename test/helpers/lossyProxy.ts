import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

export interface LossyProxy {
  url: string;
  /** Requests whose answer was dropped so far. */
  dropped: number;
  close(): Promise<void>;
}

// Hop-by-hop headers, and accept-encoding: the answer is passed on as it came, so it must come unencoded.
const NOT_PASSED = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'accept-encoding']);

const bodyOf = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/**
 * An HTTP proxy on 127.0.0.1 in front of `target` that, for the first `drops`
 * requests whose body matches `when`, passes the request on, waits for the
 * answer, and then cuts the client's connection instead of answering: the
 * request took effect, and its sender cannot know it.
 */
export async function startLossyProxy(target: string, when: (body: Buffer) => boolean, drops: number): Promise<LossyProxy> {
  const proxy: LossyProxy = { url: '', dropped: 0, close: async () => {} };
  const server = createServer((req, res) => {
    void (async () => {
      const body = await bodyOf(req);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !NOT_PASSED.has(k))) as Record<string, string>;
      const answer = await request(new URL(req.url ?? '/', target), { method: req.method as 'POST', headers, body: body.length ? body : undefined });
      const bytes = Buffer.from(await answer.body.arrayBuffer());
      if (proxy.dropped < drops && when(body)) {
        proxy.dropped++;
        req.socket.destroy();
        return;
      }
      const type = answer.headers['content-type'];
      res.writeHead(answer.statusCode, type ? { 'content-type': String(type) } : {});
      res.end(bytes);
    })().catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
