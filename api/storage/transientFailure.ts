/**
 * SQLite result codes (the primary code, the low byte of an extended one)
 * that say "not now" rather than "never": another connection holds the
 * lock, the disk is full or failing, memory ran out. A commit refused for
 * one of these may go through once the cause is gone; any other refusal (a
 * constraint, a malformed statement) will fail the same way every time.
 */
const TRANSIENT = new Set([
  5, // SQLITE_BUSY
  6, // SQLITE_LOCKED
  7, // SQLITE_NOMEM
  10, // SQLITE_IOERR
  13, // SQLITE_FULL
  15, // SQLITE_PROTOCOL
]);

/** Whether a failed commit may succeed if tried again later. */
export function isTransientFailure(err: unknown): boolean {
  const rawCode = (err as { rawCode?: unknown } | null)?.rawCode;
  return typeof rawCode === 'number' && TRANSIENT.has(rawCode & 0xff);
}
