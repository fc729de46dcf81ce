import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { afterEach, expect, it } from 'vitest';
import { openDatabase } from './db.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

it('runs nothing on a connection after a statement was refused there: a write that answered is kept, and the lock is let go', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascade-renewing-'));
  dirs.push(dir);
  const url = `file:${join(dir, 'db.sqlite')}`;
  const database = await openDatabase(url);
  const { client } = database;
  await client.execute('CREATE TABLE t (v INTEGER)');
  const other = createClient({ url });
  await other.execute('PRAGMA busy_timeout = 0');
  try {
    // Another connection holds the write lock: the first insert is refused (its connection's busy_timeout is short).
    await other.execute('BEGIN IMMEDIATE');
    const first = client.execute('INSERT INTO t VALUES (1)');
    for (let i = 0; i < 5; i++) await Promise.resolve();
    // The lock is let go (at the call: local statements run within it), and a second insert comes before the refused
    // connection is replaced. Run on it, the insert
    // would answer, keep the write lock (the refused statement keeps the implicit transaction open), and be rolled
    // back when the connection closed.
    const committed = other.execute('COMMIT');
    const second = client.execute('INSERT INTO t VALUES (2)');
    await Promise.all([first, committed, second]);

    const fresh = createClient({ url });
    try {
      expect((await fresh.execute('SELECT v FROM t ORDER BY v')).rows.map((r) => Number(r.v))).toEqual([1, 2]);
      // Nobody holds the write lock.
      await other.execute('BEGIN IMMEDIATE');
      await other.execute('ROLLBACK');
    } finally {
      fresh.close();
    }
  } finally {
    other.close();
    await database.close();
  }
});
