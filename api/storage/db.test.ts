import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openDatabase } from './db.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascade-db-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const MB = 1024 * 1024;
// About 8 MB of table and index pages: well past the 1,000 pages (4 MB) at which SQLite would checkpoint by default.
const BIG_WRITE = `
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
  INSERT INTO workspaces (id, created_at) SELECT printf('w%d-', i) || hex(randomblob(1000)), 0 FROM n`;

/** Opens the database, and writes ~8 MB through the main connection; returns the file's size from before the write. */
async function writeBigOnMain(checkpointEveryMs: number) {
  const path = join(dir, 'cascade.db');
  const database = await openDatabase(`file:${path}`, { checkpointEveryMs });
  const before = statSync(path).size;
  await database.client.execute(BIG_WRITE);
  return { path, before, database };
}

it('never checkpoints on the main connection: its commits leave the database file as it was', async () => {
  // A writer thread that would checkpoint only after an hour: nothing in this test.
  const { path, before, database } = await writeBigOnMain(3_600_000);
  try {
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(4 * MB);
    expect(statSync(path).size).toBe(before);
  } finally {
    await database.close();
  }
});

it('checkpoints on the writer thread what the main connection wrote', async () => {
  const { path, before, database } = await writeBigOnMain(10);
  try {
    // Bounded: a few ticks of the writer's timer, with room for a slow machine.
    for (let i = 0; i < 500 && statSync(path).size < before + 4 * MB; i++) await new Promise((r) => setTimeout(r, 20));
    expect(statSync(path).size).toBeGreaterThan(before + 4 * MB);
  } finally {
    await database.close();
  }
});
