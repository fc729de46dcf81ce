import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { openDatabase } from '../api/storage/db.js';
import { keysStore } from '../api/storage/keys.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

it('npm run keys -- create <workspace> prints a key that authenticates as that workspace', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascade-keys-'));
  const url = `file:${join(dir, 'db')}`;
  const run = (...args: string[]) =>
    execFileSync(process.execPath, ['--import', 'tsx', 'api/cli/keys.ts', ...args], { cwd: ROOT, env: { ...process.env, CASCADE_DB: url }, encoding: 'utf8' });
  const key = run('create', 'team-a').trim();
  expect(key).toMatch(/^csk_[A-Za-z0-9_-]{43}$/);
  const database = await openDatabase(url);
  expect(await keysStore(database.db).workspaceOf(key)).toBe('team-a');
  await database.close();
  expect(() => run('create')).toThrow(/usage/);
  rmSync(dir, { recursive: true, force: true });
});
