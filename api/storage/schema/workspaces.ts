import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const workspaces = sqliteTable('workspaces', {
  id: text('id').primaryKey(),
  createdAt: integer('created_at').notNull(),
});

/** Only a SHA-256 of each key is stored: keys are 256-bit random, so a fast hash is enough and lookups stay O(1). */
export const apiKeys = sqliteTable('api_keys', {
  hash: text('hash').primaryKey(),
  workspaceId: text('workspace_id')
    .notNull()
    .references(() => workspaces.id),
  /** The first characters of the key, to tell keys apart in a listing without revealing them. */
  prefix: text('prefix').notNull(),
  createdAt: integer('created_at').notNull(),
});
