import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';
import { cacheHits } from '../schema/index.js';

export function countCacheHitsStatement(db: Db, hit: { workspaceId: string; providerId: string; jobId: string; day: number; hits: number }) {
  return db
    .insert(cacheHits)
    .values(hit)
    .onConflictDoUpdate({
      target: [cacheHits.workspaceId, cacheHits.providerId, cacheHits.jobId, cacheHits.day],
      set: { hits: sql`${cacheHits.hits} + ${hit.hits}` },
    });
}
