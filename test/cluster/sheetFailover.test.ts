import { createClient } from '@libsql/client';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { simValues } from '../../api/demo/simData.js';
import { startSimServer } from '../../api/demo/simServer.js';
import { startSheetsServer, type SheetsRequestLog, type SheetsServer } from '../google/sheets/index.js';
import { domainRows, domains, rawConfig, simProviders, type TestProvider } from '../helpers/harness.js';
import { kill9, spawnServer, type Spawned } from '../helpers/spawnServer.js';
import { startSqld } from './sqld.js';
import { until } from '../helpers/until.js';

const KEY = 'csk_cluster_sheet_failover_key_0123';
const METRICS_TOKEN = 'cluster-sheet-failover-metrics-token';
const TOKEN = 'ya29.cluster-sheet-token-alice';
/** The writer lease (DEFAULT_SHEETS_OPTIONS.leaseMs): a takeover well inside it can only be the cluster's doing. */
const LEASE_MS = 30_000;
const N = 1500;
/** Each test's own limit: past its waits (60 s each at most), so a slow run fails saying which wait ran out. */
const TEST_MS = 180_000;
/** Google's answer is held back this long after the write is applied, so a kill can land between the two. */
const ANSWER_DELAY_MS = 400;

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/**
 * sqld, a provider, the Sheets stand-in (alice's token granted) and instance
 * 1 alone, which receives a job of N rows with a sheet target and the token,
 * and so holds the writer lease; then `others` more instances join.
 */
async function startWorld(others: number, env: Record<string, string>) {
  const providers: TestProvider[] = [
    { id: 'a', fields: ['company.name'], costPerCall: 0.001, concurrency: 4, behaviour: { latency: { medianMs: 40, sigma: 0.2 } } },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'cascade-sheet-failover-'));
  closers.push(() => rmSync(dir, { recursive: true, force: true }));
  const sqld = await startSqld();
  closers.push(() => sqld.stop());
  const sim = await startSimServer(simProviders(providers));
  closers.push(() => sim.close());
  const sheets = await startSheetsServer({ latencyMs: ANSWER_DELAY_MS });
  closers.push(() => sheets.close());
  const list = domains(N);
  sheets.model.create('book1', [{ title: 'Leads', values: [['Domain'], ...list.map((d) => [d])] }]);
  sheets.auth.grant(TOKEN, 'alice');
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(rawConfig(sim.url, providers, { engine: { pollMs: 250, retryDelaysMs: [20, 40, 80] } })));
  const fullEnv = {
    CASCADE_CONFIG: configPath,
    CASCADE_DB: sqld.url,
    CASCADE_BOOTSTRAP_KEY: KEY,
    CASCADE_METRICS_TOKEN: METRICS_TOKEN,
    CASCADE_SHEETS_URL: sheets.url,
    ...env,
  };
  const db = createClient({ url: sqld.url });
  closers.push(() => db.close());
  const instances: Spawned[] = [];
  closers.push(() => {
    for (const s of instances) s.child.kill('SIGKILL');
  });
  const api = async (s: Spawned, path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${s.url}${path}`, {
      method: init.method ?? (init.body ? 'POST' : 'GET'),
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: init.body ? JSON.stringify(init.body) : undefined,
    });
    const text = await res.text();
    expect(res.status, `${path} on ${s.url}`).toBeLessThan(300);
    expect(text, 'no answer carries the token').not.toContain(TOKEN);
    return JSON.parse(text);
  };
  const membersSeen = async (s: Spawned) => {
    const text = await (await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    return Number(/^cascade_cluster_members (\d+)$/m.exec(text)?.[1]);
  };
  const memberId = async (s: Spawned) => String((await db.execute({ sql: 'SELECT id FROM members WHERE pid = ?', args: [s.child.pid!] })).rows[0]?.id ?? '');

  const one = await spawnServer(fullEnv);
  instances.push(one);
  const id1 = await memberId(one);
  const { id: jobId } = await api(one, '/v1/jobs', {
    body: {
      fields: ['company.name'],
      rows: domainRows(list),
      sheet: { spreadsheetId: 'book1', sheetName: 'Leads', statusColumn: 'Status' },
      googleAccessToken: TOKEN,
    },
  });
  const world = {
    db,
    sheets,
    list,
    jobId: jobId as string,
    instances,
    ids: [id1],
    api,
    writer: async () => (await db.execute('SELECT writer_id FROM sheet_targets')).rows[0]?.writer_id ?? null,
    /** Accepted or not, every request that wrote rows (not the dashboard). */
    rowWrites: () => sheets.requests.filter((r) => r.endpoint === 'spreadsheets.values.batchUpdateByDataFilter' && (r.anchors?.length ?? 0) > 0),
  };
  await until('instance 1 to hold the writer lease', async () => (await world.writer()) === id1);
  instances.push(...(await Promise.all(Array.from({ length: others }, () => spawnServer(fullEnv)))));
  await until(`every instance to see ${others + 1} members`, async () => (await Promise.all(instances.map(membersSeen))).every((n) => n === others + 1));
  world.ids.push(...(await Promise.all(instances.slice(1).map(memberId))));
  return world;
}

/** How many accepted write requests carried each row's anchor. */
function writesPerRow(log: SheetsRequestLog[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const r of log) if (r.status === 200) for (const a of r.anchors!) n.set(a, (n.get(a) ?? 0) + 1);
  return n;
}

/** Every row written exactly once, onto its own row: the company of the domain in column A. */
function expectEachRowOnceOnItsOwnRow(sheets: SheetsServer, list: string[], perRow: Map<string, number>) {
  expect(perRow.size).toBe(list.length);
  expect([...perRow.entries()].filter(([, n]) => n !== 1)).toEqual([]);
  const tab = sheets.model.sheet('book1', 'Leads');
  const wrong = list.filter((d, i) => tab.value(i + 2, 1) !== d || tab.value(i + 2, 2) !== simValues(d, ['company.name'])['company.name']);
  expect(wrong).toEqual([]);
}

it(
  'the instance writing a job’s sheet is killed mid-write: another takes its lease once it is declared dead, opens the stored token, and every row lands once on its own row',
  async () => {
    const w = await startWorld(2, { CASCADE_TOKEN_KEY: randomBytes(32).toString('base64') });
    const [one, two, three] = w.instances as [Spawned, Spawned, Spawned];

    // Kill instance 1 as Google applies one of its row writes and before its answer arrives: those rows are in doubt.
    await until('a first row write', () => w.rowWrites().length > 0);
    const before = w.rowWrites().length;
    await until('the next row write', () => w.rowWrites().length > before);
    await kill9(one);
    const killedAt = performance.now();
    const killedAtMs = Date.now();
    const inDoubt = w.rowWrites().at(-1)!.anchors!;
    expect((await w.api(two, `/v1/jobs/${w.jobId}`)).status, 'the job still runs at the kill').toBe('running');
    const stored = await w.db.execute('SELECT in_doubt, token FROM sheet_targets');
    expect(JSON.parse(String(stored.rows[0]!.in_doubt)), 'the rows in doubt at the kill').toHaveLength(inDoubt.length);

    let newWriter: unknown = null;
    await until(
      'another instance to take the writer lease',
      async () => {
        newWriter = await w.writer();
        return newWriter !== null && newWriter !== w.ids[0];
      },
      LEASE_MS,
    );
    const takeoverMs = performance.now() - killedAt;
    let job: any;
    await until('the job and its sheet to finish', async () => {
      job = await w.api(three, `/v1/jobs/${w.jobId}`);
      return job.status === 'done' && job.sheet?.state === 'done';
    });

    const perRow = writesPerRow(w.rowWrites());
    const after = w.rowWrites().filter((r) => r.at > killedAtMs && r.status === 200);
    console.log(
      `sheet failover: writer lease taken ${Math.round(takeoverMs)} ms after kill -9 (lease ${LEASE_MS} ms) by instance ${w.ids.indexOf(String(newWriter)) + 1}; ` +
        `${inDoubt.length} rows in doubt at the kill, read back rather than written again; ${after.length} row writes after the kill, ` +
        `${after.reduce((n, r) => n + r.anchors!.length, 0)} rows; rows written more than once: ${[...perRow.values()].filter((n) => n > 1).length}`,
    );

    expect(job).toMatchObject({ status: 'done', counts: { total: N, matched: N }, sheet: { state: 'done', written: N, pendingWrite: 0, orphaned: 0 } });
    expect(w.ids.slice(1)).toContain(newWriter);
    // Within the cluster's death time (4 s without a heartbeat) and a pass, far inside the lease; the bound is half the
    // lease, so a slow machine does not fail it, and waiting out the lease always would.
    expect(takeoverMs).toBeLessThan(LEASE_MS / 2);
    // The rows in doubt at the kill included.
    expectEachRowOnceOnItsOwnRow(w.sheets, w.list, perRow);
    // The survivor wrote with alice's token, which only instance 1 received: it opened the one stored, sealed.
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((r) => r.user === 'alice')).toBe(true);
    expect(String(stored.rows[0]!.token)).toMatch(/^v1\./);
    const dump = await w.db.execute(
      "SELECT group_concat(coalesce(token, '') || coalesce(last_error_message, '') || coalesce(layout, '')) AS t FROM sheet_targets",
    );
    expect(String(dump.rows[0]!.t)).not.toContain(TOKEN);
    for (const s of w.instances) expect(s.output(), 'no log line carries the token').not.toContain(TOKEN);
  },
  TEST_MS,
);

it(
  'without CASCADE_TOKEN_KEY the token stays with the instance that received it: after its death the job waits for one, and says so',
  async () => {
    const w = await startWorld(1, {});
    const [one, two] = w.instances as [Spawned, Spawned];
    await until('a first row write', () => w.rowWrites().length > 0);
    expect((await w.db.execute('SELECT token FROM sheet_targets')).rows[0]!.token).toBeNull();
    // Instance 2 has no token, yet reports the job writing: instance 1, which holds one, writes it.
    expect((await w.api(two, `/v1/jobs/${w.jobId}`)).sheet.state).toBe('writing');
    await kill9(one);

    let job: any;
    await until(
      'the sheet to wait for a token',
      async () => {
        job = await w.api(two, `/v1/jobs/${w.jobId}`);
        return job.sheet.state === 'paused' && job.sheet.lastError?.code === 'google_unauthorized';
      },
      LEASE_MS,
    );
    expect(job.sheet.lastError.message).toMatch(/CASCADE_TOKEN_KEY/);
    // Instance 2 took the lease once instance 1 was declared dead, found no token, said so and handed it back: a job
    // waiting for a token is held by no writer without one.
    await until('no writer to hold it', async () => (await w.writer()) === null);

    await w.api(two, `/v1/jobs/${w.jobId}/token`, { method: 'PUT', body: { accessToken: TOKEN } });
    await until('the job and its sheet to finish', async () => {
      job = await w.api(two, `/v1/jobs/${w.jobId}`);
      return job.status === 'done' && job.sheet?.state === 'done';
    });
    expect(job.sheet).toMatchObject({ written: N, pendingWrite: 0 });
    expectEachRowOnceOnItsOwnRow(w.sheets, w.list, writesPerRow(w.rowWrites()));
  },
  TEST_MS,
);
