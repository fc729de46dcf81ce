import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script, createContext } from 'node:vm';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { CallMessage, DoneMessage, Op, Ops, Outcome, RunMessage, WorkerSetup } from './protocol.js';
import { appsScriptGlobals } from './services.js';

/**
 * One Apps Script "server": runs executions one at a time, each in a fresh
 * global scope (a new vm context) with the bundle evaluated anew, as Apps
 * Script does — nothing survives from one call to the next but what the
 * services store.
 */
const setup = workerData as WorkerSetup;
const port = setup.port;
const flag = new Int32Array(setup.flag);
const code = readFileSync(join(setup.dir, 'Code.js'), 'utf8');
const script = new Script(code, { filename: 'Code.js' });

const pause = new Int32Array(new SharedArrayBuffer(4));
/** Apps Script's longest execution: no answer is waited for longer (the runtime kills the execution before). */
const LONGEST_EXECUTION_MS = 360_000;

/** A synchronous call to the host: the execution sleeps until the answer is there. */
function call<K extends Op>(op: K, arg: Ops[K][0]): Ops[K][1] {
  Atomics.store(flag, 0, 0);
  port.postMessage({ op, arg } satisfies CallMessage);
  Atomics.wait(flag, 0, 0);
  let reply = receiveMessageOnPort(port)?.message as Outcome | undefined;
  // Once, on a loaded machine, the flag was up with no answer to read yet (a CI run: "no answer to props.get"):
  // the answer comes, so look again every millisecond rather than fail the execution.
  for (let waited = 0; !reply && waited < LONGEST_EXECUTION_MS; waited++) {
    Atomics.wait(pause, 0, 0, 1);
    reply = receiveMessageOnPort(port)?.message as Outcome | undefined;
  }
  if (!reply) throw new Error(`emulator: no answer to ${op}`);
  if (!reply.ok) throw Object.assign(new Error(reply.error.message), { name: reply.error.name });
  return reply.value as Ops[K][1];
}

function run(msg: RunMessage): Outcome {
  try {
    const context = createContext(appsScriptGlobals(call, setup.dir));
    script.runInContext(context);
    const fn = (context as Record<string, unknown>)[msg.fn];
    if (typeof fn !== 'function') throw new Error(`Script function not found: ${msg.fn}`);
    const value: unknown = fn(...msg.args);
    // google.script.run passes results as JSON-like data; undefined arrives as null.
    return { ok: true, value: value === undefined ? null : JSON.parse(JSON.stringify(value)) };
  } catch (err) {
    const e = err as { name?: unknown; message?: unknown };
    return { ok: false, error: { name: String(e?.name ?? 'Error'), message: String(e?.message ?? err) } };
  }
}

parentPort!.on('message', (msg: RunMessage) => {
  parentPort!.postMessage({ exec: msg.exec, ...run(msg) } satisfies DoneMessage);
});
