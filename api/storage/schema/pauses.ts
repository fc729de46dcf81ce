import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Pauses providers asked for (a 429's Retry-After, a used-up quota window),
 * so that every member of the cluster keeps them, not only the one that was
 * told: a row per provider, holding the latest end of a pause, on the
 * database's clock (ms since the epoch), as for `members`. Written when a
 * pause is asked for; read by every member a few times a second while there
 * are others (api/flow/clusterFlow.ts). Rows past their end are harmless and
 * overwritten by the next pause.
 */
export const providerPauses = sqliteTable('provider_pauses', {
  providerId: text('provider_id').primaryKey(),
  pausedUntil: integer('paused_until').notNull(),
});
