import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client, type InStatement, type ResultSet } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import * as schema from './schema/index.js';
import { renewingClient } from './renewingClient.js';
import { isLockHeld, isTransientFailure } from './transientFailure.js';
import { clientWriter, threadWriter } from './writer/writer.js';

export type Db = LibSQLDatabase<typeof schema>;

export interface Database {
  db: Db;
  client: Client;
  /** Commits statements as one transaction; for an embedded file, on a writer thread of its own. */
  commit(statements: InStatement[]): Promise<void>;
  /** A libSQL server (sqld, Turso) rather than an embedded file: every statement and commit is a round trip. */
  remote: boolean;
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

/**
 * libSQL's HTTP client fetches with Node's defaults, which ask for gzip, and
 * sqld then compresses every answer, a statement's few hundred bytes
 * included: in a three-instance bench job each instance spent 1.1–1.8 s of
 * its main thread in zlib, on a machine already short of CPU, and sqld as
 * much compressing. Answers come as they are.
 */
function uncompressed(request: Request): Promise<Response> {
  request.headers.set('accept-encoding', 'identity');
  return fetch(request);
}

/** A client of the database at `url`; over HTTP, with uncompressed answers. */
const connect = (url: string, authToken: string | undefined) => createClient({ url, ...(authToken ? { authToken } : {}), fetch: uncompressed });

/** Opens (creating if needed) and migrates the database. A `file:` URL is the embedded default. */
export async function openDatabase(url: string, { authToken, checkpointEveryMs = CHECKPOINT_EVERY_MS }: OpenOptions = {}): Promise<Database> {
  const path = url.startsWith('file:') ? url.slice('file:'.length).replace(/^\/\/(?=\/)/, '') : undefined;
  if (path !== undefined && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const open = async () => {
    const c = connect(url, authToken);
    if (path !== undefined) for (const pragma of MAIN_PRAGMAS) await c.execute(pragma);
    return c;
  };
  const client = path !== undefined && path !== ':memory:' ? await renewingClient(open, { lockWaitMs: LOCK_WAIT_MS }) : await open();
  const db = drizzle(client, { schema });
  // A database in memory is this connection's alone: nobody to race, and another connection would be another database.
  if (path === ':memory:') await migrate(db, { migrationsFolder: MIGRATIONS });
  else await migrateUnderLock(() => connect(url, authToken), path !== undefined);
  const writer = path !== undefined && path !== ':memory:' ? await threadWriter({ url, pragmas: WRITER_PRAGMAS, checkpointEveryMs }) : clientWriter(client);
  return {
    db,
    client,
    commit: (statements) => writer.commit(statements),
    remote: path === undefined,
    async close() {
      await writer.close();
      client.close();
    },
  };
}

/** Drizzle's own table of applied migrations: the same records its migrator keeps, so a database either migrated reads the same. */
const MIGRATIONS_TABLE = '__drizzle_migrations';
/** How long start-up keeps trying to take the write lock (or reach the server) to migrate before it gives up. */
const MIGRATE_WAIT_MS = 30_000;
const MIGRATE_RETRY_MS = [20, 50, 100, 200, 500];

/**
 * Applies the migrations the database lacks, in one write transaction that
 * holds the database's write lock from before it reads what is applied until
 * it has recorded what it applied.
 *
 * Why: drizzle's migrator reads the applied migrations, then sends the rest
 * as a deferred transaction. Several instances started together on a fresh
 * libSQL server all read "none applied" and all sent the whole schema; the
 * first committed and the others exited with `table cache already exists`.
 * Here the read and the writes it decides on are one step under the lock
 * (`BEGIN IMMEDIATE`: the write lock is taken at BEGIN, before the read):
 * the first instance migrates, the others wait for its commit (sqld queues
 * them; on an embedded file they are refused and try again) and then read
 * that nothing is left to do. A lock row with a lease would need a holder that dies
 * mid-way to be waited out; a transaction's lock goes with it: a killed
 * instance's transaction is rolled back and the lock freed (by the file's
 * journal, or by sqld, which also takes the lock from a transaction held
 * past 5 s and rolls it back; that instance's commit then fails, and it
 * tries again from the start).
 *
 * The records are drizzle's (hash, the journal's `when`), and a migration
 * is applied when it is newer than the newest record, as drizzle decides;
 * only the lock and the retry are added. A refusal that may pass (the lock
 * held or taken away, the server out of reach) is tried again for up to
 * MIGRATE_WAIT_MS; anything else (a broken migration) stops start-up.
 *
 * On a connection of its own (closed after): a transaction takes an
 * embedded connection away from its client, pragmas and all.
 */
export async function migrateUnderLock(connect: () => Client, embedded: boolean): Promise<void> {
  const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS });
  const giveUpAt = performance.now() + MIGRATE_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    const client = connect();
    try {
      const tx = await beginWrite(client, embedded);
      try {
        const [, , last] = await tx.run([
          // Table rebuilds (drizzle-kit's `PRAGMA foreign_keys=OFF` is a no-op in a transaction) check their keys at COMMIT.
          'PRAGMA defer_foreign_keys = ON',
          `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
          `SELECT id, hash, created_at FROM "${MIGRATIONS_TABLE}" ORDER BY created_at DESC LIMIT 1`,
        ]);
        const lastAt = last!.rows.length > 0 ? Number(last!.rows[0]!.created_at) : -Infinity;
        const pending = migrations.filter((m) => m.folderMillis > lastAt);
        // One round trip for all of them: sqld takes the lock away from a transaction held past 5 s.
        if (pending.length > 0)
          await tx.run(
            pending.flatMap((m) => [
              ...m.sql.filter((statement) => statement.trim() !== ''),
              { sql: `INSERT INTO "${MIGRATIONS_TABLE}" ("hash", "created_at") VALUES (?, ?)`, args: [m.hash, m.folderMillis] },
            ]),
          );
        await tx.commit();
        return;
      } finally {
        await tx.end();
      }
    } catch (err) {
      // Another's lock, or the lock taken away; and a server not answering yet (started beside its instances).
      // An embedded file that is read-only or full stops start-up at once, as it did.
      const passing = isLockHeld(err) || (err as { code?: unknown }).code === 'TRANSACTION_CLOSED' || (!embedded && isTransientFailure(err));
      if (!passing || performance.now() >= giveUpAt) throw err;
      await new Promise((r) => setTimeout(r, MIGRATE_RETRY_MS[Math.min(attempt, MIGRATE_RETRY_MS.length - 1)]));
    } finally {
      client.close();
    }
  }
}

interface WriteTransaction {
  run(statements: InStatement[]): Promise<ResultSet[]>;
  commit(): Promise<void>;
  /** Rolls back what was not committed. */
  end(): Promise<void>;
}

/**
 * A transaction holding the write lock from its BEGIN. Remote: libsql's
 * interactive transaction (BEGIN IMMEDIATE goes with the first statements).
 * Embedded: BEGIN IMMEDIATE on the client's one connection (libsql's own
 * transaction would hand that connection over and leave it open after).
 */
async function beginWrite(client: Client, embedded: boolean): Promise<WriteTransaction> {
  if (!embedded) {
    const tx = await client.transaction('write');
    return { run: (statements) => tx.batch(statements), commit: () => tx.commit(), end: async () => tx.close() };
  }
  // Waits are the caller's, asynchronous: SQLite's busy handler would sleep on the event loop, and another opening of the
  // same file in this process (a test's, a tool's) could not get on to its commit meanwhile.
  await client.execute('PRAGMA busy_timeout = 0');
  await client.execute('BEGIN IMMEDIATE');
  let open = true;
  return {
    async run(statements) {
      const results: ResultSet[] = [];
      for (const statement of statements) results.push(await client.execute(statement));
      return results;
    },
    async commit() {
      await client.execute('COMMIT');
      open = false;
    },
    async end() {
      if (open) await client.execute('ROLLBACK').catch(() => {});
    },
  };
}
