import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

// Hop-by-hop headers, and accept-encoding: the answer is passed on as it came, so it must come unencoded.
const NOT_PASSED = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'accept-encoding']);

const bodyOf = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

export interface ProxyHooks {
  /** Runs before the request is passed on: it may hold it there. */
  beforeForward?(body: Buffer, headers: IncomingHttpHeaders): Promise<void> | void;
  /** Once the answer came: true cuts the client's connection instead of answering (the request took effect, unknown to its sender). */
  dropAnswer?(body: Buffer): boolean;
  /** Runs as the proxy closes, before its connections are cut. */
  onClose?(): void;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of `target` (a libSQL server), reading
 * each request whole and passing it on; the hooks are where a test steers
 * what happens to it on the way.
 */
export async function startForwardingProxy(target: string, hooks: ProxyHooks): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void (async () => {
      const body = await bodyOf(req);
      await hooks.beforeForward?.(body, req.headers);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !NOT_PASSED.has(k))) as Record<string, string>;
      const answer = await request(new URL(req.url ?? '/', target), { method: req.method as 'POST', headers, body: body.length ? body : undefined });
      const bytes = Buffer.from(await answer.body.arrayBuffer());
      if (hooks.dropAnswer?.(body)) {
        req.socket.destroy();
        return;
      }
      const type = answer.headers['content-type'];
      res.writeHead(answer.statusCode, type ? { 'content-type': String(type) } : {});
      res.end(bytes);
    })().catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        hooks.onClose?.();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
