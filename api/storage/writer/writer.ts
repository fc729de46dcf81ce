import type { Client, InStatement } from '@libsql/client';
import { Worker } from 'node:worker_threads';
import type { WriterInit, WriterReply, WriterRequest } from './protocol.js';

/** Commits batches of statements, each batch as one transaction. */
export interface Writer {
  commit(statements: InStatement[]): Promise<void>;
  close(): Promise<void>;
}

/** Commits on the client's own connection: for a remote database (the work is the server's) and an in-memory one (no second connection sees it). */
export function clientWriter(client: Client): Writer {
  return {
    commit: async (statements) => {
      await client.batch(statements, 'write');
    },
    close: async () => {},
  };
}

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

/**
 * Commits on a connection of its own in a worker thread. Resolves once the
 * thread has its connection open: an answer bought before then would wait
 * uncommitted, and be lost to a crash. If the thread dies, every waiting
 * commit fails with the reason and the process stops.
 */
export async function threadWriter(init: WriterInit): Promise<Writer> {
  let failure: Error | undefined;
  let closing = false;
  let nextId = 0;
  const pending = new Map<number, Pending>();
  const fail = (err: Error) => {
    failure ??= err;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };

  // No inherited flags: the thread is plain JavaScript, and a TypeScript loader would add a second to its start.
  const worker = new Worker(new URL('./thread.mjs', import.meta.url), { workerData: init satisfies WriterInit, execArgv: [] });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  worker.on('message', (reply: WriterReply) => {
    const p = pending.get(reply.id);
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    if (reply.error === undefined) p?.resolve();
    else p?.reject(Object.assign(new Error(reply.error.message), { rawCode: reply.error.rawCode }));
  });
  worker.on('error', (err) => fail(new Error(`the database writer thread failed: ${err.message}`)));
  worker.on('exit', (code) => {
    fail(new Error(`the database writer thread stopped (exit code ${code})`));
    // Without its writer the engine would go on buying answers it cannot store, and buy them again once
    // their rows' leases ran out. Stop the process instead, as a crash would: a restart resumes from the database.
    if (!closing) throw failure;
  });
  // The thread keeps the process alive only while a commit or the close is waiting on it, never an idle one.
  worker.unref();

  return {
    commit(statements) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      if (pending.size === 0) worker.ref();
      const done = new Promise<void>((resolve, reject) => pending.set(id, { resolve, reject }));
      worker.postMessage({ type: 'commit', id, statements } satisfies WriterRequest);
      return done;
    },
    async close() {
      if (failure) return;
      closing = true;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.ref();
      // Batches already sent commit first: the thread handles messages in order.
      worker.postMessage({ type: 'close' } satisfies WriterRequest);
      await exited;
    },
  };
}
