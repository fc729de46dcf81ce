import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SimProvider, SimRequest } from '../../api/demo/simServer.js';
import type { ChildMessage, ParentMessage } from './simProtocol.js';

export interface SimLog {
  requests: SimRequest[];
  peakInflight: Record<string, number>;
}

export interface RemoteSim {
  url: string;
  /** The sim's request log from index `from` on, and its peak in-flight requests per provider. */
  log(from?: number): Promise<SimLog>;
  close(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('./simProcess.ts', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const LOG_TIMEOUT_MS = 30_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Starts the simulated providers in a child process (see simProcess.ts for why). */
export async function startRemoteSim(providers: SimProvider[]): Promise<RemoteSim> {
  const child: ChildProcess = fork(ENTRY, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_SIM_PROVIDERS: JSON.stringify(providers) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting: ((log: SimLog) => void)[] = [];
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  const url = await withTimeout(
    new Promise<string>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`sim process exited with code ${code} before it was ready`)));
      child.on('message', (raw) => {
        const msg = raw as ChildMessage;
        if (msg.type === 'ready') resolve(msg.url);
        else if (msg.type === 'log') waiting.shift()?.({ requests: msg.requests, peakInflight: msg.peakInflight });
      });
    }),
    START_TIMEOUT_MS,
    'starting the sim process',
  );

  const send = (msg: ParentMessage) => child.send(msg);
  return {
    url,
    // The child answers in order, so replies are matched to requests first-in, first-out.
    log: (from = 0) =>
      withTimeout(
        new Promise<SimLog>((resolve) => {
          waiting.push(resolve);
          send({ type: 'log', from });
        }),
        LOG_TIMEOUT_MS,
        'reading the sim request log',
      ),
    async close() {
      if (exited) return;
      send({ type: 'close' });
      await withTimeout(exit, 10_000, 'stopping the sim process').catch(() => child.kill('SIGKILL'));
    },
  };
}
