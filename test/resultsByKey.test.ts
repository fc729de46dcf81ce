import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultsQuerySchema } from '../shared/index.js';
import { domainRows, domains, startHarness, type Harness } from './helpers/harness.js';

/**
 * GET /v1/jobs/{id}/results' `key` filter (the add-on's row inspector asks
 * for one row of a long job): the service answers that row alone, by an
 * index seek on (job, key), with no `next`, whatever the page size.
 */
let h: Harness;
let jobId: string;
const KEYS = ['a.b', 'é 1', '😀'];
beforeAll(async () => {
  h = await startHarness([{ id: 'firmo', fields: ['company.name'] }]);
  const rows = [...domainRows(domains(12)), ...KEYS.map((key, i) => ({ key, input: { domain: `odd${i}.com` } }))];
  const created = await h.api('/v1/jobs', { body: { fields: ['company.name'], rows } });
  jobId = created.body.id;
  await h.waitForJob(jobId);
});
afterAll(() => h?.stop());

const results = (req: { key?: string; limit?: number; after?: number; status?: 'matched' | 'failed'; workspace?: string }) =>
  h.cascade.engine.service.results({ workspace: req.workspace ?? 'ws-test', jobId, limit: req.limit ?? 500, ...req });

describe('results by key', () => {
  it('answers the row of that key alone, with no next page, however small the page', async () => {
    const all = await results({});
    expect(all.rows).toHaveLength(15);
    const seven = all.rows.find((r) => r.key === '7')!;
    expect(await results({ key: '7' })).toEqual({ rows: [seven] });
    expect(await results({ key: '7', limit: 1 })).toEqual({ rows: [seven] });
    // Keys are compared as sent: dots, spaces, accents and emoji alike.
    for (const key of KEYS) expect((await results({ key })).rows.map((r) => r.key)).toEqual([key]);
  });

  it('answers no row for a key the job does not have, and keeps the other filters', async () => {
    expect(await results({ key: 'nope' })).toEqual({ rows: [] });
    expect(await results({ key: '07' })).toEqual({ rows: [] });
    expect((await results({ key: '7', status: 'matched' })).rows).toHaveLength(1);
    expect(await results({ key: '7', status: 'failed' })).toEqual({ rows: [] });
    // A cursor past the row: nothing after it has that key.
    const page = await results({ limit: 10 });
    expect(page.next).toBeDefined();
    expect(await results({ key: '7', after: Number(page.next) })).toEqual({ rows: [] });
    expect((await results({ key: '13', after: Number(page.next) })).rows.map((r) => r.key)).toEqual(['13']);
  });

  it('is scoped to the workspace as the rest of the job is', async () => {
    await expect(results({ key: '7', workspace: 'ws-other' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('takes the key as an identifier in the query: plain text of 1–200 characters, and documents it', async () => {
    expect(ResultsQuerySchema.parse({ key: '7' })).toEqual({ key: '7', limit: 500 });
    expect(ResultsQuerySchema.safeParse({ key: '' }).success).toBe(false);
    expect(ResultsQuerySchema.safeParse({ key: 'x'.repeat(201) }).success).toBe(false);
    expect(ResultsQuerySchema.safeParse({ key: 'half \ud83d' }).success).toBe(false);
    const doc = (await h.api('/openapi.json')).body;
    const params = doc.paths['/v1/jobs/{id}/results'].get.parameters as { name: string; in: string }[];
    expect(params.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(['after', 'limit', 'status', 'key']);
  });
});

describe('over HTTP', () => {
  it('GET /v1/jobs/{id}/results?key= answers that row alone', async () => {
    const res = await h.api(`/v1/jobs/${jobId}/results?key=${encodeURIComponent('é 1')}&limit=1`);
    expect(res.status).toBe(200);
    expect(res.body.rows.map((r: { key: string }) => r.key)).toEqual(['é 1']);
    expect(res.body.next).toBeUndefined();
    expect((await h.api(`/v1/jobs/${jobId}/results?key=`)).status).toBe(400);
  });
});
