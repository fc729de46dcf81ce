import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Spreadsheet } from '../../test/google/sheets/index.js';
import { AppsScriptHost, type ExecInfo, type HostUser } from './host.js';
import type { CallMessage, DoneMessage, Mode, Op, Outcome, RunMessage, WorkerSetup } from './protocol.js';

/** Apps Script's run-time limits per kind of execution (google-platform-limits.md). */
export const TIME_LIMITS_MS: Record<Mode, number> = { full: 6 * 60_000, customFunction: 30_000, simpleTrigger: 30_000 };

export interface ExecutionLog extends ExecInfo {
  startedAt: number;
  ms: number;
  /** Service calls it made: each is a round trip to Google in Apps Script, so fewer is faster there too. */
  calls: number;
  ok: boolean;
  error?: string;
}

interface Slot {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
  exec: ExecInfo | null;
  /** Ends the running execution as killed (fault injection). */
  kill?: () => void;
  calls: number;
}

/** Decides, before the host serves a call, that the execution dies right there (as Google may kill one at any moment). */
export type KillSwitch = (exec: ExecInfo, op: Op, arg: unknown) => boolean;

let workerCode: Promise<string> | undefined;
/** The worker is TypeScript; Node 20 workers do not inherit a loader, so it is bundled once and started from source. */
function compiledWorker(): Promise<string> {
  workerCode ??= build({
    entryPoints: [fileURLToPath(new URL('./worker.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text);
  return workerCode;
}

export interface AppsScriptOptions {
  /** The built add-on (addon/dist or a test's build). */
  dir: string;
  /** The in-memory spreadsheet the add-on is bound to. */
  book: Spreadsheet;
  user?: Partial<HostUser>;
  /** Executions at once (Apps Script allows 30 per user); more wait for a free one. */
  concurrency?: number;
  timeLimitsMs?: Partial<Record<Mode, number>>;
}

/**
 * Runs a built Apps Script project outside Google: each execution in a
 * worker thread with a fresh global scope and synchronous services served by
 * the host, time-limited as Apps Script is (an execution over its limit is
 * killed wherever it is, as Google kills it).
 */
export class AppsScript {
  readonly host: AppsScriptHost;
  readonly executions: ExecutionLog[] = [];
  private readonly slots: Slot[] = [];
  private readonly queue: (() => void)[] = [];
  private nextExec = 1;
  private closed = false;
  private readonly limits: Record<Mode, number>;
  /** Set by a test to kill an execution at a chosen call; cleared after it fires. */
  killSwitch: KillSwitch | undefined;

  private constructor(
    private readonly code: string,
    private readonly opts: AppsScriptOptions,
  ) {
    this.host = new AppsScriptHost(opts.book, {
      token: 'ya29.emulator-token',
      userKey: 'emulator-user-key',
      ...opts.user,
    });
    this.limits = { ...TIME_LIMITS_MS, ...opts.timeLimitsMs };
  }

  static async start(opts: AppsScriptOptions): Promise<AppsScript> {
    return new AppsScript(await compiledWorker(), opts);
  }

  /** A call from the sidebar (google.script.run) or a menu item: full authorisation. */
  run<T = unknown>(fn: string, ...args: unknown[]): Promise<T> {
    return this.execute(fn, args, 'full') as Promise<T>;
  }

  /** onOpen as Google runs it when the document opens: a simple trigger, before the add-on is authorised here. */
  trigger(fn: string): Promise<unknown> {
    return this.execute(fn, [{ authMode: 'NONE' }], 'simpleTrigger');
  }

  /** A custom function as a cell calls it: ranges arrive as 2-D arrays of values. */
  customFunction<T = unknown>(fn: string, ...args: unknown[]): Promise<T> {
    return this.execute(fn, args, 'customFunction') as Promise<T>;
  }

  private async execute(fn: string, args: unknown[], mode: Mode): Promise<unknown> {
    if (this.closed) throw new Error('emulator: closed');
    const slot = await this.acquire();
    const exec: ExecInfo = { id: this.nextExec++, fn, mode };
    slot.exec = exec;
    slot.calls = 0;
    const startedAt = Date.now();
    const outcome = await new Promise<Outcome | 'killed'>((resolve) => {
      const timer = setTimeout(() => resolve('killed'), this.limits[mode]);
      slot.kill = () => {
        clearTimeout(timer);
        resolve('killed');
      };
      const onDone = (msg: DoneMessage) => {
        if (msg.exec !== exec.id) return;
        clearTimeout(timer);
        slot.worker.off('message', onDone);
        resolve(msg);
      };
      slot.worker.on('message', onDone);
      slot.worker.postMessage({ exec: exec.id, fn, args, mode } satisfies RunMessage);
    });
    this.host.locks.releaseAll(exec.id);
    const log: ExecutionLog = { ...exec, startedAt, ms: Date.now() - startedAt, calls: slot.calls, ok: outcome !== 'killed' && outcome.ok };
    this.executions.push(log);
    if (outcome === 'killed') {
      log.error = 'killed';
      this.slots.splice(this.slots.indexOf(slot), 1);
      await slot.worker.terminate();
      this.wake();
      throw Object.assign(new Error('Exceeded maximum execution time'), { name: 'Exception' });
    }
    slot.exec = null;
    this.wake();
    if (!outcome.ok) {
      log.error = outcome.error.message;
      throw Object.assign(new Error(outcome.error.message), { name: outcome.error.name });
    }
    return outcome.value;
  }

  private acquire(): Promise<Slot> {
    const idle = this.slots.find((s) => s.exec === null);
    if (idle) {
      idle.exec = { id: 0, fn: '', mode: 'full' };
      return Promise.resolve(idle);
    }
    if (this.slots.length < (this.opts.concurrency ?? 4)) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.queue.push(() => void this.acquire().then(resolve)));
  }

  private wake(): void {
    this.queue.shift()?.();
  }

  private spawn(): Slot {
    const { port1, port2 } = new MessageChannel();
    const shared = new SharedArrayBuffer(4);
    const setup: WorkerSetup = { dir: this.opts.dir, port: port2, flag: shared };
    const worker = new Worker(this.code, { eval: true, workerData: setup, transferList: [port2] });
    const slot: Slot = { worker, port: port1, flag: new Int32Array(shared), exec: { id: 0, fn: '', mode: 'full' }, calls: 0 };
    port1.on('message', (msg: CallMessage) => {
      const exec = slot.exec!;
      slot.calls++;
      if (this.killSwitch?.(exec, msg.op, msg.arg)) {
        this.killSwitch = undefined;
        slot.kill?.();
        return;
      }
      this.host
        .handle(exec, msg.op, msg.arg as never)
        .then(
          (value): Outcome => ({ ok: true, value }),
          (err: Error): Outcome => ({ ok: false, error: { name: err.name === 'Exception' ? 'Exception' : 'Error', message: err.message } }),
        )
        .then((reply) => {
          port1.postMessage(reply);
          Atomics.store(slot.flag, 0, 1);
          Atomics.notify(slot.flag, 0);
        });
    });
    worker.on('error', () => {
      // A worker that crashed outside an execution is replaced on the next call.
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
    });
    this.slots.push(slot);
    return slot;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    for (const s of this.slots) s.port.close();
    this.slots.length = 0;
  }
}
