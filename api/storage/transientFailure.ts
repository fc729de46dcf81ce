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

/**
 * Whether a failed statement may succeed if tried again later. The code is
 * looked for down the cause chain: drizzle wraps the driver's error in its own.
 */
export function isTransientFailure(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const rawCode = (e as { rawCode?: unknown }).rawCode;
    if (typeof rawCode === 'number') return TRANSIENT.has(rawCode & 0xff);
  }
  return false;
}
