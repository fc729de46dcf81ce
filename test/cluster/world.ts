import { createClient, type Client } from '@libsql/client';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startSimServer, type SimServer } from '../../api/demo/simServer.js';
import { rawConfig, simProviders, type TestProvider } from '../helpers/harness.js';
import { spawnServer, type Spawned } from '../helpers/spawnServer.js';
import { until } from '../helpers/until.js';
import { startSqld, type Sqld } from './sqld.js';

/** The bootstrap key and /metrics token every instance of a world is started with. */
export const WORLD_KEY = 'csk_cluster_world_key_0123456789abcd';
const METRICS_TOKEN = 'cluster-world-metrics-token';

/** A cluster on one machine: sqld, the simulated providers, and instances of api/main.ts as separate processes on it. */
export interface ClusterWorld {
  sqld: Sqld;
  /** A client of the world's database, for a test to look at what the instances wrote. */
  db: Client;
  sim: SimServer;
  instances: Spawned[];
  /** A request to an instance with the world's key; fails the test on an answer of 300 or more. */
  call(s: Spawned, path: string, body?: unknown): Promise<any>;
  /** A sample of the instance's Prometheus `/metrics`: the one named, with this label set if given (`provider="p"`), or NaN. */
  metric(s: Spawned, name: string, labels?: string): Promise<number>;
  /** Starts one more instance on the same database, as `instances`' last; `providersAt`: its providers' URL instead of the sims'. */
  join(o?: { providersAt?: string }): Promise<Spawned>;
  /** Until every instance counts all of them live. */
  allSeen(): Promise<void>;
  /** Kills what is left of it and removes its files. */
  close(): Promise<void>;
}

export async function startClusterWorld(o: {
  instances: number;
  providers: TestProvider[];
  engine: Record<string, unknown>;
  /** More environment for every instance. */
  env?: Record<string, string>;
}): Promise<ClusterWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'cascade-cluster-'));
  const sqld = await startSqld();
  const sim = await startSimServer(simProviders(o.providers));
  /** A config file with the world's providers and engine settings, the providers at `url`. */
  const configAt = (url: string, file: string) => {
    const path = join(dir, file);
    writeFileSync(path, JSON.stringify(rawConfig(url, o.providers, { engine: o.engine })));
    return path;
  };
  const env = {
    CASCADE_CONFIG: configAt(sim.url, 'config.json'),
    CASCADE_DB: sqld.url,
    CASCADE_BOOTSTRAP_KEY: WORLD_KEY,
    CASCADE_METRICS_TOKEN: METRICS_TOKEN,
    ...o.env,
  };
  const instances = await Promise.all(Array.from({ length: o.instances }, () => spawnServer(env)));
  const db = createClient({ url: sqld.url });
  const metric = async (s: Spawned, name: string, labels?: string) => {
    const text = await (await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
    return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  return {
    sqld,
    db,
    sim,
    instances,
    async call(s, path, body) {
      const res = await fetch(`${s.url}${path}`, {
        method: body ? 'POST' : 'GET',
        headers: { authorization: `Bearer ${WORLD_KEY}`, 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      });
      expect(res.status, `${path} on ${s.url}`).toBeLessThan(300);
      return res.json();
    },
    metric,
    async join({ providersAt } = {}) {
      const s = await spawnServer(providersAt ? { ...env, CASCADE_CONFIG: configAt(providersAt, `config-${instances.length}.json`) } : env);
      instances.push(s);
      return s;
    },
    allSeen: () =>
      until(`every instance to see ${instances.length} members`, async () =>
        (await Promise.all(instances.map((s) => metric(s, 'cascade_cluster_members')))).every((n) => n === instances.length),
      ),
    async close() {
      db.close();
      for (const s of instances) s.child.kill('SIGKILL');
      await sim.close();
      sqld.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
