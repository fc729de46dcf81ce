import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { storableText } from '../../shared/index.js';
import { tempDatabase } from '../../test/helpers/tempDatabase.js';
import { jsonText } from './jsonText.js';

const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 30 });

describe('jsonText', () => {
  const database = tempDatabase('json-text', { once: true });

  // Were an unreadable escape to get through, reading the value back would abort the whole test process.
  it('binds any string so that what SQLite decodes from it reads back as the storable form of that string', async () => {
    const { client } = database();
    await client.execute('CREATE TABLE t (i INTEGER, a TEXT, b TEXT)');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(anyText, anyText), { maxLength: 8 }), async (pairs) => {
        await client.execute('DELETE FROM t');
        // Nested as the storage modules nest them: an inner JSON text inside the batch.
        const batch = jsonText(pairs.map(([a, b]) => [a, jsonText({ b })]));
        await client.execute({ sql: 'INSERT INTO t SELECT j.key, j.value ->> 0, j.value ->> 1 FROM json_each(?) j', args: [batch] });
        const rows = await client.execute("SELECT a, b ->> '$.b' AS b FROM t ORDER BY i");
        expect(rows.rows.map((r) => [r.a, r.b])).toEqual(pairs.map(([a, b]) => [storableText(a), storableText(b)]));
      }),
      { numRuns: 150, seed: 16 },
    );
  });

  it('leaves escaped backslashes and well-formed text alone', () => {
    expect(jsonText(['C:\\users\\ud800', 'a😀b', 'é'])).toBe(JSON.stringify(['C:\\users\\ud800', 'a😀b', 'é']));
    expect(jsonText(['\ud800', '\\\ud800', 'x\u0000'])).toBe('["\\ufffd","\\\\\\ufffd","x\\ufffd"]');
  });
});
