import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { until } from './helpers/until.js';
import { processAlive } from './helpers/processAlive.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cascade-supervisor-'));
let orphan: number | undefined;
afterAll(() => {
  if (orphan !== undefined && processAlive(orphan)) process.kill(orphan, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

// An instance left running by a supervisor killed with -9 (a test run, `npm run cluster`) went on claiming rows; with a
// new libSQL server on its database's reused port, it joined a cluster it was never part of.
it('an instance started with an IPC channel stops when the process that started it is killed -9', async () => {
  const supervisor = `
    const { spawn } = require('node:child_process');
    const child = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    child.stdout.on('data', (d) => { if (/cascade listening/.test(String(d))) console.log('child ' + child.pid); });`;
  const parent = spawn(process.execPath, ['-e', supervisor], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', CASCADE_DB: `file:${join(dir, 'cascade.db')}`, CASCADE_DEMO_JOB: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  parent.stdout!.on('data', (d) => (out += String(d)));
  await until('the instance to listen', async () => /child \d+/.test(out), 30_000);
  const pid = (orphan = Number(/child (\d+)/.exec(out)![1]));
  expect(processAlive(pid)).toBe(true);
  parent.kill('SIGKILL');
  await until('the instance to stop', async () => !processAlive(pid), 30_000);
});
