import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Purchases under way across the cluster: a row per (workspace, provider,
 * input key) an instance is buying right now, so that another instance about
 * to buy the same answer waits for it to be stored instead (issue 20). Taken
 * before the provider slot, removed once the answer is stored or the purchase
 * gave up. A claim whose holder died (no longer a live member) or whose
 * `expires_at` passed (the provider's timeout and a margin, pushed on while
 * the holder still works on it) may be taken over. Times are the database's
 * clock (ms since the epoch), as for `members`.
 */
export const purchases = sqliteTable(
  'purchases',
  {
    workspaceId: text('workspace_id').notNull(),
    providerId: text('provider_id').notNull(),
    inputKey: text('input_key').notNull(),
    /** The member buying it (members.id, the engine's worker id). */
    holder: text('holder').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.providerId, t.inputKey] })],
);
