import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client, type InStatement } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import * as schema from './schema/index.js';
import { renewingClient } from './renewingClient.js';
import { clientWriter, threadWriter } from './writer/writer.js';

export type Db = LibSQLDatabase<typeof schema>;

export interface Database {
  db: Db;
  client: Client;
  /** Commits statements as one transaction; for an embedded file, on a writer thread of its own. */
  commit(statements: InStatement[]): Promise<void>;
  close(): Promise<void>;
}

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

// WAL survives kill -9 with every committed transaction; NORMAL skips the fsync per commit that only power loss needs.
// Both settle per connection, so the writer thread's connection takes them too.
const FILE_PRAGMAS = ['PRAGMA journal_mode=WAL', 'PRAGMA synchronous=NORMAL'];
/**
 * How long statements wait out a lock another connection holds (see
 * renewingClient). Short of the 5 s the README promises a request's 503
 * storage_busy by, for the statements a request runs before and after.
 */
export const LOCK_WAIT_MS = 4500;
// The main connection's statements run synchronously on the event loop, and SQLite's busy handler sleeps there: with
// busy_timeout=5000 one locked statement stopped every request and every provider answer for 5 s, and a request
// that ran several waited several times over. So it waits here only as long as a writer-thread commit holds the
// lock, and renewingClient waits out anything longer asynchronously, up to LOCK_WAIT_MS.
const MAIN_BUSY_MS = 20;
// The writer thread has the thread to itself: it waits the whole time in SQLite, and takes the lock the moment it is
// free. The journal stops purchases long before (a commit outstanding for 250 ms counts as refused).
const WRITER_PRAGMAS = [...FILE_PRAGMAS, 'PRAGMA busy_timeout=5000'];
// The main connection never checkpoints after its commits: that would copy megabytes of WAL into the database file,
// and wait on its fsync, on the event loop (10–40 ms whenever a commit took the WAL past 4 MB). The writer thread
// checkpoints instead: after its own commits (SQLite's default), and on a timer for what the main connection wrote.
const MAIN_PRAGMAS = [...FILE_PRAGMAS, `PRAGMA busy_timeout=${MAIN_BUSY_MS}`, 'PRAGMA wal_autocheckpoint=0'];
// Bounds what the main connection's writes add to the WAL by about a second of them.
const CHECKPOINT_EVERY_MS = 1000;

export interface OpenOptions {
  /** For a remote libSQL server. */
  authToken?: string;
  checkpointEveryMs?: number;
}

/** Opens (creating if needed) and migrates the database. A `file:` URL is the embedded default. */
export async function openDatabase(url: string, { authToken, checkpointEveryMs = CHECKPOINT_EVERY_MS }: OpenOptions = {}): Promise<Database> {
  const path = url.startsWith('file:') ? url.slice('file:'.length).replace(/^\/\/(?=\/)/, '') : undefined;
  if (path !== undefined && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const open = async () => {
    const c = createClient(authToken ? { url, authToken } : { url });
    if (path !== undefined) for (const pragma of MAIN_PRAGMAS) await c.execute(pragma);
    return c;
  };
  const client = path !== undefined && path !== ':memory:' ? await renewingClient(open, { lockWaitMs: LOCK_WAIT_MS }) : await open();
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder: MIGRATIONS });
  const writer = path !== undefined && path !== ':memory:' ? await threadWriter({ url, pragmas: WRITER_PRAGMAS, checkpointEveryMs }) : clientWriter(client);
  return {
    db,
    client,
    commit: (statements) => writer.commit(statements),
    async close() {
      await writer.close();
      client.close();
    },
  };
}
