import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { openDatabase, type Database } from '../../api/storage/db.js';

/**
 * A migrated libSQL file database in a temp dir of its own, opened before
 * each test (or, with `once`, before the suite) and closed and removed after.
 * Call at the top of a file or describe block; the getter gives the database.
 */
export function tempDatabase(name: string, { once = false } = {}): () => Database {
  let dir: string | undefined;
  let database: Database | undefined;
  (once ? beforeAll : beforeEach)(async () => {
    dir = mkdtempSync(join(tmpdir(), `cascade-${name}-`));
    database = await openDatabase(`file:${join(dir, 'cascade.db')}`);
  });
  (once ? afterAll : afterEach)(async () => {
    await database?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    database = dir = undefined;
  });
  return () => {
    if (!database) throw new Error('tempDatabase: no database outside a test');
    return database;
  };
}
