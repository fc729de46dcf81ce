import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { tempDatabase } from '../../../test/helpers/tempDatabase.js';
import { sheetTargets } from './writes.js';

const database = tempDatabase('json-column');

// The json column type writes through jsonText: what the query builder stores, SQLite's JSON functions can read back.
it('stores a JSON column written by the query builder as text SQLite can decode and read back', async () => {
  const { db } = database();
  await db.insert(sheetTargets).values({
    jobId: 'job1',
    workspaceId: 'ws',
    spreadsheetId: 's',
    sheetName: 'Leads',
    headerRow: 1,
    columns: { 'company.name': 'B\ud800' },
    statusColumn: 'C',
    credential: 'oauth',
    createdAt: 0,
  });
  expect(await db.all(sql`SELECT columns ->> '$."company.name"' AS ref FROM sheet_targets`)).toEqual([{ ref: 'B\ufffd' }]);
  expect((await db.select({ columns: sheetTargets.columns }).from(sheetTargets).get())?.columns).toEqual({ 'company.name': 'B\ufffd' });
});
