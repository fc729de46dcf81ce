import { sql } from 'drizzle-orm';
import { integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * Alerts the engine has seen start (and clear), and whether the alert webhook
 * was told: the durable "fired" state, so a restart neither fires a start
 * again nor forgets to send a clear. At most one open alert (cleared_at null)
 * per workspace, provider and figure: two checks racing insert it once.
 */
export const alertStates = sqliteTable(
  'alert_states',
  {
    workspaceId: text('workspace_id').notNull(),
    providerId: text('provider_id').notNull(),
    figure: text('figure', { enum: ['matchRate', 'p95Ms'] }).notNull(),
    startedAt: integer('started_at').notNull(),
    clearedAt: integer('cleared_at'),
    label: text('label').notNull(),
    /** The figures last seen while in force, for the messages. */
    current: real('current').notNull(),
    baseline: real('baseline').notNull(),
    startSent: integer('start_sent', { mode: 'boolean' }).notNull().default(false),
    clearSent: integer('clear_sent', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.providerId, t.figure, t.startedAt] }),
    uniqueIndex('alert_states_open').on(t.workspaceId, t.providerId, t.figure).where(sql`${t.clearedAt} IS NULL`),
  ],
);
