import { afterAll, expect, it } from 'vitest';
import { parseConfig } from '../../api/config/load.js';
import { startSimServer } from '../../api/demo/simServer.js';
import { startCascade } from '../../api/server.js';
import { keysStore } from '../../api/storage/keys.js';
import { startForwardingProxy } from '../helpers/forwardingProxy.js';
import { domainRows, domains, rawConfig, simProviders, type TestProvider } from '../helpers/harness.js';
import { until } from '../helpers/until.js';
import { startSqld, type Sqld } from './sqld.js';

let sqld: Sqld | undefined;
afterAll(() => sqld?.stop());

// Each row needs both: it takes two steps, and before each it used to read the cache.
const PROVIDERS: TestProvider[] = [
  { id: 'names', fields: ['company.name'], costPerCall: 0.01 },
  { id: 'sizes', fields: ['company.employees'], costPerCall: 0.01 },
];
const ROWS = 40;
// A cache read's statement: a join of the keys asked for with the cache (api/storage/cache.ts).
const CACHE_READ = 'CROSS JOIN cache c';

// On a libSQL server every read is a round trip: three instances made some 1,500 of them for a 2,000-row job, about
// as many as their commits, and the first provider call of each row waited for one.
it("a job's rows read the cache for none of the answers their claims hold, and buy each once", async () => {
  sqld = await startSqld();
  let reads = 0;
  const proxy = await startForwardingProxy(sqld.url, { beforeForward: (body) => void (reads += body.toString().split(CACHE_READ).length - 1) });
  const sim = await startSimServer(simProviders(PROVIDERS));
  const cascade = await startCascade({ config: parseConfig(rawConfig(sim.url, PROVIDERS), {}), dbUrl: proxy.url, port: 0, host: '127.0.0.1', log: () => {} });
  try {
    const headers = { authorization: `Bearer ${await keysStore(cascade.database.db).create('ws', Date.now())}`, 'content-type': 'application/json' };
    const fields = ['company.name', 'company.employees'];
    const res = await fetch(`${cascade.url}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify({ fields, rows: domainRows(domains(ROWS)) }) });
    const { id } = (await res.json()) as { id: string };
    // The submission read the cache once for every row (settleFromCache); the rows' claims held what it lacked.
    const atSubmission = reads;
    expect(atSubmission).toBeGreaterThan(0);
    let job: any;
    await until('the job to finish', async () => {
      job = await (await fetch(`${cascade.url}/v1/jobs/${id}`, { headers })).json();
      return job.status !== 'running';
    });
    expect(job).toMatchObject({ status: 'done', counts: { matched: ROWS } });
    expect(reads - atSubmission).toBe(0);
    expect(sim.requests).toHaveLength(2 * ROWS);
    expect(new Set(sim.requests.map((r) => `${r.provider} ${r.q}`)).size).toBe(2 * ROWS);
  } finally {
    await cascade.stop();
    await proxy.close();
    await sim.close();
  }
});
