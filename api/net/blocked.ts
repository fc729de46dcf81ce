import { causeChain } from '../errors.js';

/** A fetch refused because its target address is not a public one. Carries only the host, never a URL (it may hold a key). */
export class BlockedAddressError extends Error {
  override name = 'BlockedAddressError';
  readonly code = 'blocked_address';
}

/** The refusal somewhere in an error's cause chain (undici wraps connector errors in "fetch failed"). */
export function findBlocked(err: unknown): BlockedAddressError | undefined {
  for (const e of causeChain(err)) if (e instanceof BlockedAddressError) return e;
  return undefined;
}
