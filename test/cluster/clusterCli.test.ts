import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { portFree } from '../../api/cli/clusterChildren.js';
import { DEMO_KEY } from '../../api/demo/startDemo.js';
import { processAlive } from '../helpers/processAlive.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cascade-cluster-cli-'));
let cli: ChildProcess | undefined;
let pids: number[] = [];

afterAll(() => {
  // Only if the test failed half-way: the command's group, then whatever it had started.
  if (cli && cli.exitCode === null && cli.signalCode === null) process.kill(-cli.pid!, 'SIGKILL');
  for (const pid of pids) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const until = async (what: string, ms: number, cond: () => boolean, output: () => string) => {
  const giveUpAt = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > giveUpAt) throw new Error(`timed out waiting for ${what}; output so far:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** Two consecutive free ports below Linux's ephemeral range (32768+), where the other tests' port-0 servers land. */
async function basePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = 20_000 + Math.floor(Math.random() * 10_000);
    if ((await portFree(p)) && (await portFree(p + 1))) return p;
  }
  throw new Error('no two consecutive free ports found between 20000 and 30000');
}

it('npm run cluster -- 2 starts sqld and two instances, the demo job is worked by both, and Ctrl-C stops every child', { timeout: 240_000 }, async () => {
  const base = await basePort();
  // Its own process group, as a terminal runs a command, so SIGINT to the group is what Ctrl-C sends.
  cli = spawn('npm', ['run', 'cluster', '--', '2'], {
    cwd: ROOT,
    env: { ...process.env, CLUSTER_BASE_PORT: String(base), CLUSTER_DATA_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  cli.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  cli.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<string>((resolve) => cli!.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)));
  const output = () => out;

  await until('the demo job to finish', 180_000, () => /Ctrl-C stops it\./.test(out) || /^cluster: /m.test(out), output);
  expect(out).not.toMatch(/^cluster: /m);

  const sqldPid = Number(/^sqld pid (\d+): /m.exec(out)?.[1]);
  const instances = [...out.matchAll(/^instance (\d) pid (\d+): (\S+) /gm)].map((m) => ({ n: Number(m[1]), pid: Number(m[2]), url: m[3]! }));
  pids = [sqldPid, ...instances.map((i) => i.pid)];
  expect(instances.map((i) => i.url)).toEqual([`http://127.0.0.1:${base}`, `http://127.0.0.1:${base + 1}`]);
  expect(
    pids.every((pid) => Number.isInteger(pid) && processAlive(pid)),
    out,
  ).toBe(true);

  // Both instances worked rows of the job.
  const worked = [...out.matchAll(/^ {2}instance (\d) \S+: (\d+) rows$/gm)].map((m) => Number(m[2]));
  expect(worked, out).toHaveLength(2);
  expect(
    worked.every((n) => n > 0),
    out,
  ).toBe(true);

  // The job, created on instance 1, reads done through instance 2.
  const jobId = /^demo job (\S+):/m.exec(out)?.[1];
  const res = await fetch(`${instances[1]!.url}/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${DEMO_KEY}` } });
  expect(res.status).toBe(200);
  const job = (await res.json()) as { status: string; counts: { total: number; pending: number; running: number } };
  expect(job).toMatchObject({ status: 'done', counts: { total: 147, pending: 0, running: 0 } });

  // Ctrl-C: every child stops, the instances first, and nothing is left behind.
  process.kill(-cli.pid!, 'SIGINT');
  const exit = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running after 40 s'), 40_000))]);
  // npm, interrupted too, passes the interrupt on as its own end once the command has exited (0).
  expect(['code 0', 'SIGINT'], out).toContain(exit);
  expect(out).toMatch(/^stopped: instance 1 clean, instance 2 clean, sqld clean$/m);
  await until('every child to be gone', 5_000, () => !pids.some(processAlive), output);
});
