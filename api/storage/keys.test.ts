import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { openDatabase } from './db.js';
import { keysStore } from './keys.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

it('npm run keys -- revoke <prefix> deletes one key; a prefix naming several revokes none; list never shows a key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascade-keys-revoke-'));
  const url = `file:${join(dir, 'db')}`;
  const run = (...args: string[]) =>
    execFileSync(process.execPath, ['--import', 'tsx', 'api/cli/keys.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, CASCADE_DB: url },
      encoding: 'utf8',
      stdio: 'pipe',
    });
  try {
    const database = await openDatabase(url);
    const keys = keysStore(database.db);
    // Two keys sharing their stored prefix (the first 8 characters), and one apart.
    const [twinA, twinB, single] = ['csk_sameAAAA', 'csk_sameBBBB', 'csk_solo1234'];
    for (const k of [twinA, twinB, single]) await keys.create('team-a', Date.now(), k);
    await database.close();

    const listed = run('list');
    expect(listed.split('\n').filter(Boolean)).toHaveLength(3);
    for (const k of [twinA, twinB, single]) expect(listed).not.toContain(k);

    expect(() => run('revoke', 'csk_same')).toThrow(/names 2 keys/);
    expect(run('revoke', 'csk_solo')).toMatch(/^revoked csk_solo… +team-a/);
    expect(run('revoke', twinB)).toMatch(/^revoked csk_same…/);
    expect(() => run('revoke', 'csk_solo')).toThrow(/no key has that prefix/);
    expect(() => run('revoke')).toThrow(/usage/);

    const after = await openDatabase(url);
    const store = keysStore(after.db);
    expect(await store.workspaceOf(single)).toBeUndefined();
    expect(await store.workspaceOf(twinB)).toBeUndefined();
    expect(await store.workspaceOf(twinA)).toBe('team-a');
    await after.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
