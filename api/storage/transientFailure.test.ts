import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from '@libsql/client';
import { afterEach, expect, it } from 'vitest';
import { isTransientFailure } from './transientFailure.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** An HTTP server on 127.0.0.1 answering every request with `status`; resolves with its URL. */
async function answering(status: number): Promise<string> {
  server = createServer((_req, res) => res.writeHead(status, { 'content-type': 'text/plain' }).end('nope'));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** What libsql's client throws for one statement against `url`. */
const failureAt = (url: string) => createClient({ url }).execute('SELECT 1').then(() => undefined, (err: unknown) => err);

it('takes a database server out of reach, or saying "not now", as passing', async () => {
  const unavailable = await answering(503);
  expect(isTransientFailure(await failureAt(unavailable))).toBe(true);
  await new Promise<void>((resolve) => server!.close(() => resolve()));
  // The same port, nobody listening now: the connection is refused.
  const refused = await failureAt(unavailable);
  server = undefined;
  expect(isTransientFailure(refused)).toBe(true);
});

it('takes an answer that will not change as final', async () => {
  // 401: a wrong token stays wrong.
  expect(isTransientFailure(await failureAt(await answering(401)))).toBe(false);
  expect(isTransientFailure(Object.assign(new Error('UNIQUE constraint failed'), { rawCode: 2067 }))).toBe(false);
});
