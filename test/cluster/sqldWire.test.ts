import { afterAll, expect, it } from 'vitest';
import { openDatabase } from '../../api/storage/db.js';
import { jobsStore } from '../../api/storage/jobs.js';
import { startForwardingProxy } from '../helpers/forwardingProxy.js';
import { startSqld, type Sqld } from './sqld.js';

let sqld: Sqld | undefined;
afterAll(() => sqld?.stop());

// sqld gzips an answer whenever asked to, and Node's fetch asks by default: each instance of a three-instance bench job
// spent 1.1–1.8 s of its main thread inflating answers of a few hundred bytes, and sqld as long deflating them.
it('asks the libSQL server for its answers uncompressed, migrations and statements alike', async () => {
  sqld = await startSqld();
  const asked: (string | undefined)[] = [];
  const proxy = await startForwardingProxy(sqld.url, { beforeForward: (_body, headers) => void asked.push(headers['accept-encoding']) });
  try {
    const database = await openDatabase(proxy.url);
    // A server: every commit a round trip, so the engine's journal gathers them longer (api/engine/engine.ts).
    expect(database.remote).toBe(true);
    await jobsStore(database.db).active(0);
    await database.commit([{ sql: 'SELECT 1', args: [] }]);
    await database.close();
  } finally {
    await proxy.close();
  }
  expect(asked.length).toBeGreaterThan(3);
  expect(new Set(asked)).toEqual(new Set(['identity']));
});
