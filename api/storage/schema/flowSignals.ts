import { integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * What a provider told one member of the cluster that the others must heed
 * too (api/flow/clusterFlow.ts). Times are the database's clock (ms since
 * the epoch), as for `members`. Written when a provider speaks; read by every
 * member a few times a second while there are others.
 */

/**
 * Pauses providers asked for (a 429's Retry-After, a used-up quota window):
 * a row per provider, holding the latest end of a pause. Rows past their end
 * are harmless and overwritten by the next pause.
 */
export const providerPauses = sqliteTable('provider_pauses', {
  providerId: text('provider_id').primaryKey(),
  pausedUntil: integer('paused_until').notNull(),
});

/**
 * The last congestion a member met at each provider (a 429 without a
 * Retry-After, a timeout) and where flow control cut to, as totals for the
 * cluster: the AIMD limit and, once one was learned, the rate, each times the
 * members counted then; under a documented rate, the jitter margin as it is. The others cut to their part of it, so one member's
 * lesson is not learned again, with 429s, by each.
 */
export const providerCuts = sqliteTable('provider_cuts', {
  providerId: text('provider_id').primaryKey(),
  concurrency: real('concurrency').notNull(),
  ratePerSecond: real('rate_per_second'),
  /** Under a documented rate, the member's margin for arrival jitter, ms: not a total, the same for every member. */
  jitterMs: real('jitter_ms'),
  cutAt: integer('cut_at').notNull(),
  /** The member that met it: it does not cut again on its own report. */
  memberId: text('member_id').notNull(),
});
