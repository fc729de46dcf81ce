import { and, eq } from 'drizzle-orm';
import type { Db } from '../db.js';
import { jobs } from '../schema/index.js';
import type { JobRecord } from './types.js';

/** What an earlier job with this Idempotency-Key says of a new request: the same job, or a conflict. */
export type Repeat = { kind: 'existing'; job: JobRecord } | { kind: 'conflict' };

/** The workspace's job created with this Idempotency-Key, as seen by a request whose body hashes to `bodyHash`; undefined when there is none. */
export async function findRepeat(db: Db, workspaceId: string, idempotencyKey: string, bodyHash: string | undefined): Promise<Repeat | undefined> {
  const prior = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.workspaceId, workspaceId), eq(jobs.idempotencyKey, idempotencyKey)))
    .get();
  if (!prior) return undefined;
  return prior.bodyHash === bodyHash ? { kind: 'existing', job: prior } : { kind: 'conflict' };
}
