import { and, eq, isNull, or, sql } from 'drizzle-orm';
import type { AlertFigure } from '../../shared/alerts.js';
import type { Finding } from '../engine/alerts.js';
import type { Db } from './db.js';
import { alertStates } from './schema/alerts.js';

/**
 * The alerts aggregate: which alerts are in force since when, and whether the
 * webhook was told of each start and clear. Small and rarely written, so its
 * statements go straight to the database rather than through the journal.
 */

export interface AlertState {
  workspaceId: string;
  providerId: string;
  figure: AlertFigure;
  startedAt: number;
  clearedAt: number | null;
  label: string;
  current: number;
  baseline: number;
  startSent: boolean;
  clearSent: boolean;
}

export interface AlertsStore {
  /**
   * Records what a check found: a finding with no open alert opens one at `now`, an open alert no longer found is
   * cleared at `now`, one found again takes the new figures. Answers the alerts open afterwards.
   */
  reconcile(workspaceId: string, findings: readonly Finding[], now: number): Promise<AlertState[]>;
  /** Starts and clears the webhook has not been told of, oldest first. */
  unsent(): Promise<AlertState[]>;
  markSent(a: AlertState, event: 'start' | 'clear'): Promise<void>;
}

const keyOf = (a: { providerId?: string; provider?: string; figure: string }) => `${a.providerId ?? a.provider}\u0000${a.figure}`;

export function alertsStore(db: Db): AlertsStore {
  const open = (ws: string) =>
    db
      .select()
      .from(alertStates)
      .where(and(eq(alertStates.workspaceId, ws), isNull(alertStates.clearedAt))) as Promise<AlertState[]>;
  return {
    async reconcile(ws, findings, now) {
      const before = new Map((await open(ws)).map((a) => [keyOf(a), a]));
      const found = new Set(findings.map(keyOf));
      const statements = [
        ...findings.map((f) =>
          // ON CONFLICT (the open-alert index) keeps the first start when two checks race; the figures are refreshed.
          db.run(sql`INSERT INTO alert_states (workspace_id, provider_id, figure, started_at, label, current, baseline)
            VALUES (${ws}, ${f.provider}, ${f.figure}, ${now}, ${f.label}, ${f.current}, ${f.baseline})
            ON CONFLICT (workspace_id, provider_id, figure) WHERE cleared_at IS NULL
            DO UPDATE SET label = excluded.label, current = excluded.current, baseline = excluded.baseline`),
        ),
        ...[...before.values()]
          .filter((a) => !found.has(keyOf(a)))
          .map((a) =>
            db
              .update(alertStates)
              .set({ clearedAt: now })
              .where(
                and(
                  eq(alertStates.workspaceId, ws),
                  eq(alertStates.providerId, a.providerId),
                  eq(alertStates.figure, a.figure),
                  eq(alertStates.startedAt, a.startedAt),
                ),
              ),
          ),
      ];
      if (statements.length) await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
      return open(ws);
    },

    unsent() {
      return db
        .select()
        .from(alertStates)
        .where(or(eq(alertStates.startSent, false), and(sql`${alertStates.clearedAt} IS NOT NULL`, eq(alertStates.clearSent, false))))
        .orderBy(alertStates.startedAt) as Promise<AlertState[]>;
    },

    async markSent(a, event) {
      await db
        .update(alertStates)
        .set(event === 'start' ? { startSent: true } : { clearSent: true })
        .where(
          and(
            eq(alertStates.workspaceId, a.workspaceId),
            eq(alertStates.providerId, a.providerId),
            eq(alertStates.figure, a.figure),
            eq(alertStates.startedAt, a.startedAt),
          ),
        );
    },
  };
}
