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
const failureAt = (url: string) =>
  createClient({ url })
    .execute('SELECT 1')
    .then(
      () => undefined,
      (err: unknown) => err,
    );

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

it('takes a database file made read-only, failing or full as passing, by its primary or extended code', () => {
  const sqlite = (rawCode: number) => Object.assign(new Error(`SQLite result code ${rawCode}`), { rawCode });
  // SQLITE_READONLY, SQLITE_READONLY_CANTLOCK, SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC, SQLITE_FULL, SQLITE_BUSY_SNAPSHOT.
  for (const code of [8, 520, 778, 1034, 13, 517]) expect(isTransientFailure(sqlite(code)), `code ${code}`).toBe(true);
  // As drizzle wraps it, and as an error that carries only the code's name.
  expect(isTransientFailure(new Error('Failed query', { cause: sqlite(8) }))).toBe(true);
  expect(isTransientFailure(Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' }))).toBe(true);
  // SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_ERROR (a malformed statement), SQLITE_CORRUPT.
  for (const code of [1555, 1, 11]) expect(isTransientFailure(sqlite(code)), `code ${code}`).toBe(false);
});
