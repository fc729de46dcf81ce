import { sql } from 'drizzle-orm';
import type { Db } from './db.js';

/** The cluster's work not yet in any instance's hands, from the database: what an autoscaler scales on. */
export interface Backlog {
  /** Rows of running jobs due now and claimed by no instance. */
  rowsDue: number;
  /** Rows of running jobs waiting to be tried again later (a provider failed for now). */
  rowsLater: number;
  /** Effects not yet settled (pending or being sent), by target kind (`hubspot`, `slack`…): never by workspace. */
  effects: Record<string, number>;
}

export interface BacklogStore {
  backlog(now: number): Promise<Backlog>;
}

export function backlogStore(db: Db): BacklogStore {
  return {
    async backlog(now) {
      // Through the running jobs and the claim index (job, status, run_at): a finished job's rows are never read.
      const rows = await db.get<{ due: number | null; later: number | null }>(sql`
        SELECT sum(rows.run_at <= ${now}) AS due, sum(rows.run_at > ${now}) AS later
        FROM jobs JOIN rows ON rows.job_id = jobs.id AND rows.status = 'pending'
        WHERE jobs.status = 'running'`);
      // A target is `<workspace or *>/<kind>`: the kind alone keeps the figure's labels bounded.
      const effects = await db.all<{ kind: string; n: number }>(sql`
        SELECT substr(target, instr(target, '/') + 1) AS kind, count(*) AS n FROM effects
        WHERE status IN ('pending', 'sending') GROUP BY kind`);
      return {
        rowsDue: Number(rows?.due ?? 0),
        rowsLater: Number(rows?.later ?? 0),
        effects: Object.fromEntries(effects.map((e) => [e.kind, Number(e.n)])),
      };
    },
  };
}
