import { createClient } from '@libsql/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { domainRows, domains, startHarness, type Harness } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness([{ id: 'acme', fields: ['company.name'] }]);
  // The server's own connection gives up on a lock in milliseconds rather than the production 5 s.
  await h.cascade.database.client.execute('PRAGMA busy_timeout=20');
});
afterAll(() => h.stop());

it('answers 503 storage_busy with Retry-After while another writer holds the database, and takes the same request once it lets go', async () => {
  const body = { fields: ['company.name'], rows: domainRows(domains(20, 'com', 'busy')) };
  const other = createClient({ url: h.dbUrl });
  try {
    const lock = await other.transaction('write');
    await lock.execute(`INSERT INTO workspaces (id, created_at) VALUES ('holder', 0)`);
    const refused = await fetch(`${h.cascade.url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: unknown }).error).toMatchObject({ code: 'storage_busy', message: expect.stringMatching(/busy/) });
    await lock.rollback();
  } finally {
    other.close();
  }
  // Nothing of the refused request was stored: the same request now makes the job, with every row.
  const created = await h.api('/v1/jobs', { body });
  expect(created, JSON.stringify(created.body)).toMatchObject({ status: 202 });
  const job = await h.waitForJob(created.body.id);
  expect(job.counts).toMatchObject({ total: 20, matched: 20 });
});
