import { createClient } from '@libsql/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { storedAnswers } from '../cache.js';
import { openDatabase } from '../db.js';
import { Journal } from '../journal.js';
import { threadWriter } from './writer.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('keeps an answer the database refused while another connection held the write lock, and stores it once the lock is gone', async () => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-writer-'));
  const url = `file:${join(dir, 'cascade.db')}`;
  const database = await openDatabase(url);
  // A writer that gives up on a lock at once, so the refusal comes in milliseconds rather than the production 5 s.
  const writer = await threadWriter({ url, pragmas: ['PRAGMA journal_mode=WAL', 'PRAGMA busy_timeout=20'] });
  const refusals: string[] = [];
  const journal = new Journal(
    async (statements) => {
      try {
        await writer.commit(statements);
      } catch (err) {
        refusals.push((err as Error).message);
        throw err;
      }
    },
    { retryDelaysMs: [20] },
  );
  const other = createClient({ url });
  try {
    const lock = await other.transaction('write');
    await lock.execute(`INSERT INTO workspaces (id, created_at) VALUES ('holder', 0)`);
    const stored = journal.write(storedAnswers, {
      workspaceId: 'ws',
      providerId: 'acme',
      inputKey: 'domain=acme.com',
      outcome: 'match',
      values: { 'company.name': 'Acme' },
      fetchedAt: 1,
    });
    for (let i = 0; i < 500 && !journal.failing; i++) await new Promise((r) => setTimeout(r, 10));
    expect(journal.failing, 'the locked database refused the commit').toBe(true);
    await lock.commit();
    await stored;
    expect(journal.failing).toBe(false);
    // Only the lock refused it: a connection left unusable by the refusal ("SQL statements in progress") is replaced.
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.filter((m) => !m.includes('database is locked'))).toEqual([]);
    const rs = await database.client.execute(`SELECT "values" FROM cache WHERE provider_id = 'acme' AND input_key = 'domain=acme.com'`);
    expect(rs.rows.map((r) => JSON.parse(String(r.values)))).toEqual([{ 'company.name': 'Acme' }]);
  } finally {
    other.close();
    await writer.close();
    await database.close();
  }
});
