import { afterEach, expect, it } from 'vitest';
import { keysStore } from '../api/storage/keys.js';
import { domains } from './helpers/harness.js';
import { leadsTab, sheetRows, startSheetsHarness, type SheetsHarness } from './sheets/harness.js';

// The other routes' 404s for another workspace's job are in api.test.ts; these two take a body the job would keep.
let h: SheetsHarness;
afterEach(async () => h?.stop());

const ALICE = 'ya29.token-alice';
const MALLORY = 'ya29.token-mallory';

it("refuses another workspace's rows and Google token for a job, and keeps neither", async () => {
  h = await startSheetsHarness({
    providers: [{ id: 'p', fields: ['company.name'], behaviour: { concurrency: 2, latency: { medianMs: 5, sigma: 0.1 } } }],
    sheets: { minRowsPerRequest: 10 },
  });
  const otherKey = await keysStore(h.cascade.database.db).create('ws-other', Date.now());
  const asOther = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${h.cascade.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${otherKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const list = domains(300);
  h.sheets.model.create('book1', [{ title: 'Leads', values: leadsTab([...list, ...domains(50, 'org')]) }]);
  h.sheets.auth.grant(ALICE, 'alice');
  h.sheets.auth.grant(MALLORY, 'mallory');
  const created = await h.api('/v1/jobs', {
    body: { fields: ['company.name'], rows: sheetRows(list), sheet: { spreadsheetId: 'book1', sheetName: 'Leads' }, googleAccessToken: ALICE },
  });
  expect(created.status).toBe(202);
  const id = created.body.id as string;

  // Rows: refused, and none of them joins the job.
  const extra = sheetRows(domains(50, 'org')).map((r, i) => ({ ...r, key: String(302 + i) }));
  const rows = await asOther('POST', `/v1/jobs/${id}/rows`, { rows: extra });
  expect(rows).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  expect((await h.api(`/v1/jobs/${id}`)).body.counts.total).toBe(300);

  // Token: after a restart the job waits for one; another workspace's is refused and not taken, so it still waits.
  await h.waitForSheet(id, (v) => v.sheet.written > 0);
  await h.restart();
  const waiting = await h.waitForSheet(id, (v) => v.status === 'done' && v.sheet.state === 'paused');
  expect(waiting.sheet.lastError.code).toBe('google_unauthorized');
  const sentBefore = h.sheets.requests.length;
  const token = await asOther('PUT', `/v1/jobs/${id}/token`, { accessToken: MALLORY });
  expect(token).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  const after = (await h.api(`/v1/jobs/${id}`)).body;
  expect(after.sheet).toMatchObject({ state: 'paused', lastError: { code: 'google_unauthorized' } });

  // The owner's token resumes it: every row written, nothing sent to Google with the other workspace's token.
  expect((await h.api(`/v1/jobs/${id}/token`, { method: 'PUT', body: { accessToken: ALICE } })).status).toBe(200);
  const done = await h.waitForSheet(id);
  expect(done).toMatchObject({ counts: { total: 300 }, sheet: { written: 300, pendingWrite: 0 } });
  const users = new Set(h.sheets.requests.slice(sentBefore).map((r) => r.user));
  expect([...users]).toEqual(['alice']);
  const tab = h.sheets.model.sheet('book1', 'Leads');
  expect(tab.values(302, 2, 351, 2).every(([v]) => v === undefined)).toBe(true);
});
