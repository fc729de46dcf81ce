import { customType } from 'drizzle-orm/sqlite-core';
import { jsonText } from '../jsonText.js';

/**
 * A JSON text column, read and written as `T`: reads need no JSON.parse or
 * cast at the call site. Written through jsonText like every JSON bind, since
 * SQLite's JSON functions read these columns too (retryRows' json_set on
 * `rows.state`). The SQL type is plain `text`, as with drizzle's
 * `text({ mode: 'json' })`, so the migrations do not change.
 *
 * `T` is what this code writes; rows written by an older version are read
 * through the same type, so a reader that must cope with older shapes (a
 * row's checkpoint: restoreState) still fills in what is missing.
 */
export const json = <T>(name: string) =>
  customType<{ data: T; driverData: string }>({
    dataType: () => 'text',
    toDriver: jsonText,
    fromDriver: parseJson<T>,
  })(name);

/** A json<T> column's text as the column decodes it, for rows read with plain SQL (RETURNING, hand-written joins). */
export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}
