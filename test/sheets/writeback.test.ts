import { afterEach, describe, expect, it } from 'vitest';
import { domains } from '../helpers/harness.js';
import { leadsTab, sheetRows, startSheetsHarness, type SheetsHarness } from './harness.js';

let h: SheetsHarness;
afterEach(async () => h?.stop());

const TOKEN = 'ya29.test-token-alice';

describe('sheet write-back', () => {
  it('writes each field into its column and the status into the status column', async () => {
    h = await startSheetsHarness({ providers: [{ id: 'p', fields: ['company.name', 'company.employees'] }] });
    const list = domains(30);
    h.sheets.model.create('book1', [{ title: 'Leads', values: leadsTab(list, ['Domain', 'Notes']) }]);
    h.sheets.auth.grant(TOKEN, 'alice');
    const res = await h.api('/v1/jobs', {
      body: {
        fields: ['company.name', 'company.employees'],
        rows: sheetRows(list),
        sheet: { spreadsheetId: 'book1', sheetName: 'Leads', columns: { 'company.name': 'D' }, statusColumn: 'Status' },
        googleAccessToken: TOKEN,
      },
    });
    expect(res.status).toBe(202);
    const view = await h.waitForSheet(res.body.id);
    expect(view.sheet).toMatchObject({ state: 'done', written: 30, pendingWrite: 0, orphaned: 0, lastError: null });
    const tab = h.sheets.model.sheet('book1', 'Leads');
    expect(tab.values(1, 1, 1, 6)[0]).toEqual(['Domain', 'Notes', undefined, 'Company name', 'Employees', 'Status']);
    expect(tab.value(2, 4)).toBe('Lead0');
    expect(typeof tab.value(2, 5)).toBe('number');
    expect(tab.value(2, 6)).toBe('matched · by p');
  });
});
