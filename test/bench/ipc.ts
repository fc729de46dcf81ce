import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Request/response over a forked TypeScript child's IPC channel. The child
 * sends { ready } once, then answers each { id, body } with { id, body }.
 * Every wait here has a time limit, since the child may be stuck.
 */
export interface IpcChild<Req, Res> {
  pid: number | undefined;
  request(body: Req, timeoutMs: number): Promise<Res>;
  /** Sends `body` and waits for the child to exit; kills it if it has not within `timeoutMs`. Resolves whether it exited by itself. */
  close(body: Req, timeoutMs: number): Promise<boolean>;
}

type FromChild<Ready, Res> = { ready: Ready } | { id: number; body: Res } | { id: number; error: string };

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export async function forkTs<Ready, Req, Res>(
  entry: URL,
  env: Record<string, string>,
  startTimeoutMs: number,
  nodeFlags: string[] = [],
): Promise<{ ready: Ready; child: IpcChild<Req, Res> }> {
  const proc = fork(fileURLToPath(entry), [], {
    // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the engine and the sims.
    execArgv: ['--import', 'tsx', ...nodeFlags, ...(process.env.BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [])],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const waiting = new Map<number, { resolve(res: Res): void; reject(err: Error): void }>();
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  void exited.then(() => {
    for (const w of waiting.values()) w.reject(new Error('the child process exited'));
    waiting.clear();
  });

  const ready = await withTimeout(
    new Promise<Ready>((resolve, reject) => {
      proc.once('error', reject);
      proc.once('exit', (code) => reject(new Error(`${entry.pathname} exited with code ${code} before it was ready`)));
      proc.on('message', (raw) => {
        const msg = raw as FromChild<Ready, Res>;
        if ('ready' in msg) return resolve(msg.ready);
        const w = waiting.get(msg.id);
        waiting.delete(msg.id);
        if ('error' in msg) w?.reject(new Error(msg.error));
        else w?.resolve(msg.body);
      });
    }),
    startTimeoutMs,
    `starting ${entry.pathname}`,
  ).catch((err: unknown) => {
    proc.kill('SIGKILL');
    throw err;
  });

  const send = (body: Req) => {
    const id = nextId++;
    const reply = new Promise<Res>((resolve, reject) => waiting.set(id, { resolve, reject }));
    proc.send({ id, body });
    return reply;
  };

  return {
    ready,
    child: {
      pid: proc.pid,
      request: (body, timeoutMs) => withTimeout(send(body), timeoutMs, `${entry.pathname.split('/').pop()} answering ${JSON.stringify(body)}`),
      async close(body, timeoutMs) {
        if (proc.exitCode !== null || proc.signalCode !== null) return true;
        send(body).catch(() => {});
        const byItself = await withTimeout(exited, timeoutMs, 'stopping').then(
          () => true,
          () => false,
        );
        if (!byItself) {
          proc.kill('SIGKILL');
          await exited;
        }
        return byItself;
      },
    },
  };
}

/** The child's side: announce readiness, then answer requests with `handle`. */
export function serveParent<Req, Res>(ready: unknown, handle: (body: Req) => Promise<Res>): void {
  if (!process.send) throw new Error('this file is meant to be forked by the benchmark (test/bench/run.ts)');
  const send = (msg: unknown) => process.send?.(msg);
  process.on('message', (raw) => {
    const { id, body } = raw as { id: number; body: Req };
    handle(body).then(
      (res) => send({ id, body: res }),
      (err: unknown) => send({ id, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  send({ ready });
}
