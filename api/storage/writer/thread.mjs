// @ts-check
/**
 * The writer thread: its own connection to the embedded database, committing
 * the batches the main thread hands it. A local libSQL statement runs
 * synchronously on the thread that calls it; here, a commit no longer holds
 * up the event loop that turns provider answers into the next requests.
 *
 * Plain JavaScript on purpose: a worker thread starts without the TypeScript
 * loader, in tests and in production alike, and in milliseconds.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createClient } from '@libsql/client';

/** @typedef {import('./protocol.js').WriterInit} WriterInit */
/** @typedef {import('./protocol.js').WriterRequest} WriterRequest */
/** @typedef {import('./protocol.js').WriterReply} WriterReply */

const port = parentPort;
if (!port) throw new Error('thread.mjs runs as a worker thread');
const init = /** @type {WriterInit} */ (workerData);

async function connect() {
  const c = createClient({ url: init.url });
  for (const pragma of init.pragmas) await c.execute(pragma);
  return c;
}

/** @type {import('@libsql/client').Client | undefined} */
let client = await connect();
port.postMessage('ready');

// After a refused statement libsql may keep it open until it is garbage-collected, and the connection refuses
// every commit till then ("SQL statements in progress"): the next batch gets a fresh connection.
function renew() {
  client?.close();
  client = undefined;
}

// One batch (or checkpoint) at a time, in the order they were sent: commits are the journal's order.
let last = Promise.resolve();

// For what other connections wrote: the main one never checkpoints (see db.ts), and this thread's own commits
// checkpoint only when they are what takes the WAL past its limit. PASSIVE: copies what no reader still needs, and
// never waits on a lock. A failed checkpoint leaves the WAL longer until the next one; a failing disk shows in the
// next commit's refusal.
const checkpoints =
  init.checkpointEveryMs === undefined
    ? undefined
    : setInterval(() => {
        last = last.then(async () => {
          try {
            await client?.execute('PRAGMA wal_checkpoint(PASSIVE)');
          } catch {
            renew();
          }
        });
      }, init.checkpointEveryMs);

port.on('message', (/** @type {WriterRequest} */ msg) => {
  last = last.then(async () => {
    if (msg.type === 'close') {
      clearInterval(checkpoints);
      renew();
      port.close();
      return;
    }
    /** @type {WriterReply} */
    let reply;
    try {
      client ??= await connect();
      await client.batch(msg.statements, 'write');
      reply = { id: msg.id };
    } catch (err) {
      const rawCode = /** @type {{ rawCode?: unknown }} */ (err).rawCode;
      reply = { id: msg.id, error: { message: err instanceof Error ? err.message : String(err), ...(typeof rawCode === 'number' ? { rawCode } : {}) } };
      renew();
    }
    port.postMessage(reply);
  });
});
