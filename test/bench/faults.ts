/**
 * Issue 16's storage-fault figures, measured as its "done when" states them
 * (`npm run bench -- faults`). Figures only; test/storageFaults.test.ts
 * holds the same behaviour to counts in `npm test`.
 *
 * 1. A 5,000-row job whose database file and WAL turn unwritable (chattr +i,
 *    which stops root where chmod does not) for 8 s: the 500s seen while
 *    polling, when the last paid call reached a provider after the fault
 *    began, whether the job finishes without a restart, and answers bought
 *    twice against the calls that were on the wire at the fault.
 * 2. Another connection holding the write lock (BEGIN EXCLUSIVE) for 12 s:
 *    how long each kind of request takes to answer, against 5 s (writes and
 *    reads) or its own deadline (a lookup).
 *
 * Runs in this process against a temp libSQL file and simulated providers
 * on 127.0.0.1; every loop is bounded. Needs root (chattr) on Linux, so it
 * runs only when named: `npm run bench -- faults`.
 */
import { createClient } from '@libsql/client';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { domainRows, domains, startHarness, type Harness, type TestProvider } from '../helpers/harness.js';
import { figure, heading, num } from './report.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PROVIDERS: TestProvider[] = [
  { id: 'a', fields: ['company.name'], costPerCall: 0.01, behaviour: { matchRate: { '*': 0.5 }, concurrency: 16, latency: { medianMs: 20, sigma: 0.3 } } },
  { id: 'b', fields: ['company.name'], costPerCall: 0.01, behaviour: { concurrency: 16, latency: { medianMs: 20, sigma: 0.3 } } },
];
const FIELDS = ['company.name'];

const boughtTwice = (h: Harness) => {
  const answered = h.sim.requests.filter((r) => r.status === 200 || r.status === 404).map((r) => `${r.provider}|${r.q}`);
  return answered.length - new Set(answered).size;
};

async function timed(h: Harness, path: string, body?: unknown): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const res = await h.api(path, body === undefined ? {} : { body }).catch(() => ({ status: -1 }));
  return { status: res.status, ms: performance.now() - t0 };
}

async function unwritable(): Promise<void> {
  heading('Database unwritable for 8 s during a 5,000-row job');
  const h = await startHarness(PROVIDERS);
  const db = join(h.dir, 'cascade.db');
  const files = [db, `${db}-wal`];
  try {
    const { body: job } = await h.api('/v1/jobs', { body: { fields: FIELDS, rows: domainRows(domains(5000)) } });
    for (let i = 0; i < 4000 && h.sim.arrivals() < 1000; i++) await pause(5);
    const statuses = new Map<number, number>();
    let polling = true;
    const poll = (async () => {
      const paths = [`/v1/jobs/${job.id}`, `/v1/jobs/${job.id}/results?limit=20`, '/v1/metrics?window=1h'];
      for (let i = 0; polling && i < 10_000; i++) {
        const { status } = await timed(h, paths[i % paths.length]!);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        await pause(50);
      }
    })();
    execFileSync('chattr', ['+i', ...files]);
    const faultAt = Date.now();
    const wire = h.sim.arrivals() - h.sim.requests.length;
    const before = h.sim.arrivals();
    const creates: number[] = [];
    for (let s = 0; s < 8; s++) {
      creates.push((await timed(h, '/v1/jobs', { fields: FIELDS, rows: domainRows(domains(3, 'com', `during${s}`)) })).status);
      await pause(1000);
    }
    const after = h.sim.requests.filter((r) => r.at >= faultAt);
    const lastCallMs = after.length === 0 ? 0 : Math.max(...after.map((r) => r.at)) - faultAt;
    const duringFault = h.sim.arrivals() - before;
    execFileSync('chattr', ['-i', ...files]);
    const healedAt = Date.now();
    const done = await h.waitForJob(job.id);
    polling = false;
    await poll;
    const fivehundreds = [...statuses].filter(([s]) => s >= 500 && s !== 503).reduce((n, [, c]) => n + c, 0);
    figure('answers during the fault (by status)', `${[...statuses].map(([s, c]) => `${s}: ${c}`).join(', ')} · creates ${creates.join(' ')}`);
    figure('HTTP 500s', num(fivehundreds), '0');
    figure('paid calls after the files turned unwritable', `${num(duringFault)} (on the wire then: ${wire})`);
    figure('last of them reached a provider after', `${num(lastCallMs)} ms`, '≤ 1,000 ms');
    figure('job after the files were writable again', `${done.status} in ${num((Date.now() - healedAt) / 1000, 1)} s, no restart`);
    figure('answers bought twice', `${boughtTwice(h)}`, `≤ ${wire} (on the wire at the fault)`);
  } finally {
    execFileSync('chattr', ['-i', ...files]);
    await h.stop();
  }
}

async function lockHeld(): Promise<void> {
  heading('Write lock held by another connection for 12 s');
  const h = await startHarness(PROVIDERS);
  const other = createClient({ url: h.dbUrl });
  try {
    const { body: job } = await h.api('/v1/jobs', { body: { fields: FIELDS, rows: domainRows(domains(300)) } });
    await h.waitForJob(job.id);
    await other.execute('BEGIN EXCLUSIVE');
    const lockedAt = performance.now();
    const kinds = {
      'create a job (write)': () => timed(h, '/v1/jobs', { fields: FIELDS, rows: domainRows(domains(3, 'com', `locked${performance.now()}`)) }),
      'read a job': () => timed(h, `/v1/jobs/${job.id}`),
      'read results': () => timed(h, `/v1/jobs/${job.id}/results?limit=50`),
      'lookup, deadlineMs 3000': () => timed(h, '/v1/enrich', { input: { domain: `fresh${performance.now()}.com` }, fields: FIELDS, deadlineMs: 3000 }),
    };
    const seen: Record<string, { status: number; ms: number }[]> = {};
    while (performance.now() - lockedAt < 12_000) {
      for (const [k, go] of Object.entries(kinds)) (seen[k] ??= []).push(await go());
    }
    await other.execute('ROLLBACK');
    for (const [k, list] of Object.entries(seen)) {
      const slowest = Math.max(...list.map((x) => x.ms));
      const statuses = [...new Set(list.map((x) => x.status))].join('/');
      figure(k, `slowest ${num(slowest)} ms over ${list.length}, status ${statuses}`, k.startsWith('lookup') ? '≤ 3,000 ms' : '≤ 5,000 ms');
    }
  } finally {
    other.close();
    await h.stop();
  }
}

export async function runFaultScenarios(): Promise<void> {
  await unwritable();
  await lockHeld();
}
