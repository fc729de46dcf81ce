import { parseResponse } from 'hono/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cascadeClient } from '../api/http/client.js';
import { ROUTES, routeUrl } from '../shared/index.js';
import { domainRows, domains, startHarness, type Harness } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness([{ id: 'firmo', fields: ['company.name', 'company.employees'] }]);
});
afterAll(() => h.stop());

describe('the HTTP contract', () => {
  it('is what the OpenAPI document serves: every route of shared/routes.ts, its method, and named schemas', async () => {
    const doc = (await h.api('/openapi.json')).body;
    for (const [name, route] of Object.entries(ROUTES)) {
      expect(doc.paths[route.path]?.[route.method], name).toBeDefined();
    }
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops as object).map((m) => `${m} ${path}`));
    expect(documented.sort()).toEqual(
      Object.values(ROUTES)
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    );
    for (const id of ['CreateJob', 'JobCreated', 'JobView', 'ResultsPage', 'EnrichResult', 'Metrics', 'RowsAppended', 'RowsRequeued']) {
      expect(doc.components.schemas[id], id).toBeDefined();
    }
    expect(doc.paths['/v1/jobs'].post.responses['202'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/JobCreated' });
  });

  it('builds request URLs with encoded parameters and only the query given', () => {
    expect(routeUrl('results', { id: 'job/1', query: { limit: 5, after: undefined } })).toBe('/v1/jobs/job%2F1/results?limit=5');
    expect(routeUrl('health', {})).toBe('/health');
  });

  it('gives the demo and the tests a client typed from the app', async () => {
    const api = cascadeClient(h.cascade.url, h.key);
    const { id } = await parseResponse(api.v1.jobs.$post({ json: { fields: ['company.name'], rows: domainRows(domains(3)) }, header: {} }));
    await h.waitForJob(id);
    const job = await parseResponse(api.v1.jobs[':id'].$get({ param: { id } }));
    expect(job).toMatchObject({ id, status: 'done', counts: { total: 3, matched: 3 } });
    const page = await parseResponse(api.v1.jobs[':id'].results.$get({ param: { id }, query: { limit: '2' } }));
    expect(page.rows.map((r) => r.key)).toEqual(['2', '3']);
    expect(page.next).toBeDefined();
    const refused = await cascadeClient(h.cascade.url, 'csk_wrong').v1.jobs[':id'].$get({ param: { id } });
    expect(refused.status).toBe(401);
  });
});
