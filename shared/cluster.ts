import { z } from 'zod';

/** Where a member of a cluster is woken by another: outside /v1 and the OpenAPI contract, instances' business only. */
export const WAKE_PATH = '/internal/wake';

/**
 * A member's wake-up call to another member of its cluster: "the jobs
 * changed, look at the database now", instead of at the next poll. It
 * carries no work, so all a forged or replayed one could do is cost a poll;
 * `sig` (HMAC-SHA256, base64url, api/engine/wakeSeal.ts) over the rest keeps
 * even that to the cluster's members, and `at` (the sender's clock, ms since
 * the epoch, rising with every wake it sends) lets each be taken once.
 */
export const WakeSchema = z.strictObject({
  from: z.string().min(1).max(100),
  to: z.string().min(1).max(100),
  at: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'an HMAC-SHA256, base64url without padding'),
});
export type Wake = z.infer<typeof WakeSchema>;
