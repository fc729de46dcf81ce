import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { json } from './json.js';

/**
 * Every answer a provider gave (match or no match), stored before it is used:
 * this table is the checkpoint that makes a bought answer impossible to buy twice.
 */
export const cache = sqliteTable(
  'cache',
  {
    workspaceId: text('workspace_id').notNull(),
    providerId: text('provider_id').notNull(),
    inputKey: text('input_key').notNull(),
    outcome: text('outcome', { enum: ['match', 'no_match'] }).notNull(),
    values: json<Record<string, unknown>>('values').notNull(),
    fetchedAt: integer('fetched_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.providerId, t.inputKey] })],
);
