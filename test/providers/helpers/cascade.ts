import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowInput } from '../../../shared/index.js';
import { parseConfig } from '../../../api/config/load.js';
import { startCascade, type Cascade } from '../../../api/server.js';
import { keysStore } from '../../../api/storage/keys.js';
import { FAST_ENGINE } from '../../helpers/harness.js';

export interface Running {
  cascade: Cascade;
  logs: string[];
  api<T = any>(path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Creates a job and waits (bounded) until it is no longer running; returns its rows. */
  runJob(fields: string[], rows: { key: string; input: RowInput }[]): Promise<{ job: any; rows: any[] }>;
  stop(): Promise<void>;
}

/** The real server (HTTP API, engine, libSQL file) on an ephemeral 127.0.0.1 port, with any provider configuration. */
export async function startWithConfig(raw: Record<string, unknown>, env: Record<string, string> = {}): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'cascade-providers-'));
  const logs: string[] = [];
  const cascade = await startCascade({
    config: parseConfig({ engine: FAST_ENGINE, ...raw }, env),
    dbUrl: `file:${join(dir, 'cascade.db')}`,
    port: 0,
    host: '127.0.0.1',
    log: (msg, extra) => logs.push(`${msg} ${extra ? JSON.stringify(extra) : ''}`),
  });
  const key = await keysStore(cascade.database.db).create('ws-providers', Date.now());
  const api: Running['api'] = async (path, body) => {
    const res = await fetch(`${cascade.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    cascade,
    logs,
    api,
    async runJob(fields, rows) {
      const created = await api<{ id: string }>('/v1/jobs', { fields, rows });
      if (created.status !== 202) throw new Error(`job not created: ${JSON.stringify(created.body)}`);
      for (let i = 0; i < 1500; i++) {
        const { body: job } = await api(`/v1/jobs/${created.body.id}`);
        if (job.status !== 'running') {
          const { body: page } = await api(`/v1/jobs/${created.body.id}/results?limit=5000`);
          return { job, rows: page.rows };
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('job still running after 30 s');
    },
    async stop() {
      await cascade.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
