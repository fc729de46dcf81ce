/**
 * Child-process entry for the floor of the cached-lookup benchmark
 * (cachedScenario.ts): a raw node:http server that answers POST /v1/enrich
 * with the same JSON Cascade answered for that input, from a Map. It checks
 * the bearer key against a Map, reads and parses the body, looks up, and
 * serialises: the least any server answering that request from memory must
 * do. Cascade's cached path is measured against it, in the same run.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveParent } from './ipc.js';

async function main(): Promise<void> {
  const spec = JSON.parse(readFileSync(process.env.BENCH_FLOOR ?? '', 'utf8')) as { key: string; answers: [string, unknown][] };
  const keys = new Map([[spec.key, 'bench']]);
  const answers = new Map(spec.answers);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (!key || !keys.has(key)) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"unauthorized"}}');
        return;
      }
      let body: { input?: { domain?: string } };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"code":"invalid_body"}}');
        return;
      }
      const answer = answers.get(body.input?.domain ?? '');
      res.writeHead(answer ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(answer ?? { error: { code: 'not_found' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const quit = () => server.close(() => process.exit(0));
  process.on('disconnect', quit);
  serveParent<{ type: 'close' }, null>({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }, async () => {
    setImmediate(quit);
    return null;
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
