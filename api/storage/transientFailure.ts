import { causeChain } from '../errors.js';

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

/** Whether a failed statement may succeed if tried again later, by the first code down its cause chain. */
export function isTransientFailure(err: unknown): boolean {
  for (const e of causeChain(err)) {
    const { rawCode, code, status } = e as { rawCode?: unknown; code?: unknown; status?: unknown };
    if (typeof rawCode === 'number') return TRANSIENT.has(rawCode & 0xff);
    if (typeof code === 'string' && UNREACHABLE.has(code)) return true;
    if (typeof status === 'number' && UNAVAILABLE.has(status)) return true;
  }
  return false;
}
