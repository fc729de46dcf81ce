import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

export interface BarrierProxy {
  url: string;
  /** Requests the barrier held (at most `n`). */
  held: number;
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
 * An HTTP proxy on 127.0.0.1 in front of `target` (a libSQL server) that
 * holds the first requests whose body matches `when` until `n` of them wait,
 * then lets them all go at once; everything else passes straight through.
 * Processes that start at their own pace thus meet at one statement: a race
 * that start-up timing made rare happens every time. After `maxWaitMs` the
 * held ones go anyway, so a sender that never comes (because the others
 * hold a lock it waits for before it sends) cannot stall the test.
 */
export async function startBarrierProxy(target: string, when: (body: Buffer) => boolean, n: number, maxWaitMs = 10_000): Promise<BarrierProxy> {
  const proxy: BarrierProxy = { url: '', held: 0, close: async () => {} };
  let release: () => void = () => {};
  const open = new Promise<void>((resolve) => (release = resolve));
  let timer: NodeJS.Timeout | undefined;
  let released = false;
  const server = createServer((req, res) => {
    void (async () => {
      const body = await bodyOf(req);
      if (!released && when(body)) {
        proxy.held++;
        timer ??= setTimeout(() => {
          released = true;
          release();
        }, maxWaitMs);
        if (proxy.held >= n) {
          released = true;
          clearTimeout(timer);
          release();
        }
        await open;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !NOT_PASSED.has(k))) as Record<string, string>;
      const answer = await request(new URL(req.url ?? '/', target), { method: req.method as 'POST', headers, body: body.length ? body : undefined });
      const bytes = Buffer.from(await answer.body.arrayBuffer());
      const type = answer.headers['content-type'];
      res.writeHead(answer.statusCode, type ? { 'content-type': String(type) } : {});
      res.end(bytes);
    })().catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      clearTimeout(timer);
      release();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
