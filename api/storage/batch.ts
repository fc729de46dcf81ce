import type { InStatement } from '@libsql/client';
import { sql, type SQL } from 'drizzle-orm';
import { jsonText } from './jsonText.js';

/**
 * Statements over a batch of entries bound once, as one JSON array of
 * objects (through jsonText), whatever their count: one statement to prepare
 * for a thousand rows. The statement reads the batch as the table
 * `batch(i, e)`, one row per entry: `i` its index in the batch, `e` the entry,
 * each field read by name (`e ->> '$.status'`). Never by position:
 * `j.value ->> 5` depended on the order of an array built elsewhere, and
 * reordering either side silently wrote one column into another.
 *
 * Each entry is converted to JSONB once (the MATERIALIZED CTE). Read straight
 * from json_each, every `->>` parsed the entry's text again: reading a row
 * completion's eight fields by name took half as long again as by position
 * did, and from JSONB it costs the same.
 */
const BATCH_FROM = 'WITH batch AS MATERIALIZED (SELECT key AS i, jsonb(value) AS e FROM json_each(';

/** For the journal: plain SQL that crosses to the writer thread as it is. */
export function batchStatement<T>(entries: readonly T[], toObject: (entry: T) => object, body: string): InStatement {
  return { sql: `${BATCH_FROM}?))\n${body}`, args: [jsonText(entries.map(toObject))] };
}

/** For drizzle's `sql`, run on the main connection. */
export function batchSql<T>(entries: readonly T[], toObject: (entry: T) => object, body: SQL): SQL {
  return sql`${sql.raw(BATCH_FROM)}${jsonText(entries.map(toObject))}))\n${body}`;
}
