import { causeChain } from '../errors.js';

/**
 * SQLite result codes (the primary code, the low byte of an extended one:
 * SQLITE_IOERR_WRITE is 778, SQLITE_READONLY_CANTLOCK 520, SQLITE_BUSY_SNAPSHOT
 * 517) that say "not now" rather than "never": another connection holds the
 * lock, the disk is full, failing or made unwritable, memory ran out. A
 * statement refused for one of these may go through once the cause is gone;
 * any other refusal (a constraint, a malformed statement) will fail the same
 * way every time.
 *
 * READONLY and CANTOPEN are here because the server opened this database
 * writable at start (migrations wrote to it): a file that turns read-only or
 * cannot be opened later was changed underneath it (permissions, an immutable
 * flag, a remount), and comes back when that is undone.
 */
const TRANSIENT = new Set([
  5, // SQLITE_BUSY
  6, // SQLITE_LOCKED
  7, // SQLITE_NOMEM
  8, // SQLITE_READONLY
  10, // SQLITE_IOERR
  13, // SQLITE_FULL
  14, // SQLITE_CANTOPEN
  15, // SQLITE_PROTOCOL
]);

/** The same, for an error that carries only the name of its code ("SQLITE_IOERR_WRITE"), by its primary part. */
const TRANSIENT_NAME = /^SQLITE_(BUSY|LOCKED|NOMEM|READONLY|IOERR|FULL|CANTOPEN|PROTOCOL)(_|$)/;

/** Codes of a held lock: the one refusal that waiting a little, on the same database, is likely to cure. */
const LOCK = new Set([5, 6]);

/**
 * A remote libSQL server out of reach: the connection refused, reset or cut
 * mid-answer (node's and undici's codes), or the client's WebSocket failing.
 * Unlike a refusal, these leave unknown whether the statements ran: a commit
 * may have gone through and only its answer been lost. So what is sent again
 * after one must be safe to apply twice, as the journal's entries are (see
 * EntryKind).
 */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'HRANA_WEBSOCKET_ERROR',
]);

/** HTTP answers of a libSQL server (or the proxy in front of it) that mean "come back later". */
const UNAVAILABLE = new Set([429, 502, 503, 504]);

/**
 * What was written has not committed within the storage wait: the database
 * is refusing or not answering commits. A request that needs its own writes
 * durable (a cancel's final cost) answers storage_busy rather than waiting
 * for the fault to end.
 */
export class CommitsStalled extends Error {
  override name = 'CommitsStalled';
  readonly code = 'CASCADE_COMMITS_STALLED';
}

/** Whether a failed statement may succeed if tried again later, by the first code down its cause chain. */
export function isTransientFailure(err: unknown): boolean {
  for (const e of causeChain(err)) {
    const { rawCode, code, status } = e as { rawCode?: unknown; code?: unknown; status?: unknown };
    if (typeof rawCode === 'number') return TRANSIENT.has(rawCode & 0xff);
    if (typeof code === 'string' && (UNREACHABLE.has(code) || TRANSIENT_NAME.test(code) || code === 'CASCADE_COMMITS_STALLED')) return true;
    if (typeof status === 'number' && UNAVAILABLE.has(status)) return true;
  }
  return false;
}

/** Whether SQLite refused a statement because another connection holds the lock (by the first SQLite code down the cause chain). */
export function isLockHeld(err: unknown): boolean {
  for (const e of causeChain(err)) {
    const { rawCode, code } = e as { rawCode?: unknown; code?: unknown };
    if (typeof rawCode === 'number') return LOCK.has(rawCode & 0xff);
    if (typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)(_|$)/.test(code)) return true;
  }
  return false;
}
