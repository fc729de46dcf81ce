import type { Client } from '@libsql/client';
import { causeChain } from '../errors.js';

/**
 * Heals text that earlier versions let into the database and that cannot be
 * read back: bytes that are not UTF-8 (an unpaired surrogate that SQLite's
 * JSON functions decoded from a `\ud800` escape) and NULs (where SQLite's
 * text ends). The libsql driver aborts the whole process on reading the
 * first kind, on every read of the row, after every restart; so an
 * installation hit by it is healed by upgrading, not by editing the file.
 *
 * Every text column of every table is searched without reading its text:
 * `hex()` of the stored bytes is matched for a surrogate's lead bytes
 * (ED A0–ED BF) or NUL (00), and each match is checked and repaired here
 * from its bytes. Bad sequences become U+FFFD, which keeps JSON text valid.
 * A repaired value that collides with a unique one is a cache entry (dropped:
 * it will be bought again if asked for) or a row key (kept, with the rowid
 * appended, so no row is lost).
 *
 * Runs once per database: the boundary (shared/text.ts, storage/jsonText.ts)
 * keeps such text out from this version on, and `PRAGMA user_version` records
 * the repair was done.
 */
const REPAIRED_VERSION = 1;

const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/** What the stored bytes should have been, or undefined when they read back as they are. */
function repaired(bytes: Uint8Array): string | undefined {
  try {
    const text = strict.decode(bytes);
    if (!text.includes('\0')) return undefined; // the match was two hex digits straddling a byte boundary
  } catch {
    // Not UTF-8: repaired below.
  }
  return lenient.decode(bytes).replaceAll('\0', '\uFFFD');
}

const SQLITE_CONSTRAINT = 19;
const isConstraintViolation = (err: unknown) =>
  [...causeChain(err)].some(
    (e) => typeof (e as { rawCode?: unknown }).rawCode === 'number' && ((e as { rawCode: number }).rawCode & 0xff) === SQLITE_CONSTRAINT,
  );

const quoteId = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Repairs the database once; returns how many values it changed (0 when it had nothing to do or did it before). */
export async function repairUnreadableText(client: Client): Promise<number> {
  const version = Number((await client.execute('PRAGMA user_version')).rows[0]?.[0] ?? 0);
  if (version >= REPAIRED_VERSION) return 0;
  const tables = await client.execute(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_\\_drizzle%' ESCAPE '\\'",
  );
  let changed = 0;
  for (const { name } of tables.rows as unknown as { name: string }[]) {
    const columns = await client.execute(`PRAGMA table_info(${quoteId(name)})`);
    for (const col of columns.rows as unknown as { name: string; type: string }[]) {
      if (!/text|char|clob/i.test(col.type)) continue;
      changed += await repairColumn(client, name, col.name);
    }
  }
  await client.execute(`PRAGMA user_version = ${REPAIRED_VERSION}`);
  return changed;
}

async function repairColumn(client: Client, table: string, column: string): Promise<number> {
  const t = quoteId(table);
  const c = quoteId(column);
  const found = await client.execute(
    `SELECT rowid AS id, hex(${c}) AS bytes FROM ${t}
     WHERE typeof(${c}) = 'text' AND (hex(${c}) GLOB '*ED[AB]*' OR instr(CAST(${c} AS BLOB), X'00') > 0)`,
  );
  let changed = 0;
  for (const { id, bytes } of found.rows as unknown as { id: number; bytes: string }[]) {
    const text = repaired(Buffer.from(bytes, 'hex'));
    if (text === undefined) continue;
    try {
      await client.execute({ sql: `UPDATE ${t} SET ${c} = ? WHERE rowid = ?`, args: [text, id] });
    } catch (err) {
      if (!isConstraintViolation(err)) throw err;
      // Two bad values that repair to the same one.
      if (table === 'cache') await client.execute({ sql: `DELETE FROM ${t} WHERE rowid = ?`, args: [id] });
      else await client.execute({ sql: `UPDATE ${t} SET ${c} = ? WHERE rowid = ?`, args: [`${text} (repaired ${id})`, id] });
    }
    changed++;
  }
  return changed;
}
