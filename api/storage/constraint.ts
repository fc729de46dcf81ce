import { causeChain } from '../errors.js';

/**
 * The first SQLite result code down an error's cause chain (drizzle wraps the
 * driver's error), never read from the message's text: the embedded file
 * gives the extended number (`rawCode`, 2067 for a UNIQUE index), a remote
 * libSQL server only the code's name (`SQLITE_CONSTRAINT`).
 */
export function sqliteCode(err: unknown): number | string | undefined {
  for (const e of causeChain(err)) {
    const { rawCode, code } = e as { rawCode?: unknown; code?: unknown };
    if (typeof rawCode === 'number') return rawCode;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return code;
  }
  return undefined;
}

/** Whether the statement broke a constraint of any kind (a primary key, a unique index). */
export function isConstraintViolation(err: unknown): boolean {
  const code = sqliteCode(err);
  return typeof code === 'number' ? (code & 0xff) === 19 : code?.startsWith('SQLITE_CONSTRAINT') === true;
}
