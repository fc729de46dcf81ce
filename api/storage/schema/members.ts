import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The instances sharing this database, which makes them one cluster: a row
 * each, written at start and heartbeated every second or so, deleted at a
 * clean stop or once another member declared it dead (no heartbeat for a few
 * seconds) and took back what it held. `id` is the engine's worker id, the
 * `locked_by` of the rows and effects it leases. Times are the database's
 * clock (ms since the epoch), never an instance's: one clock for all, so a
 * machine whose clock is off cannot look dead, or keep a dead one alive.
 */
export const members = sqliteTable('members', {
  id: text('id').primaryKey(),
  /** For an operator: where it runs. */
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  /** Where other members wake it (CASCADE_CLUSTER_URL); null if it did not say: they leave it to its poll. */
  url: text('url'),
  startedAt: integer('started_at').notNull(),
  heartbeatAt: integer('heartbeat_at').notNull(),
  /**
   * Since when it has been heard without a break (no two beats further apart
   * than half the dead-after time): only a member heard steadily for the
   * dead-after time may declare another dead. Null: as `heartbeat_at`.
   */
  steadySince: integer('steady_since'),
});
