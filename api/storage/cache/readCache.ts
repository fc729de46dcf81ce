import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';

export interface CachedAnswer {
  outcome: 'match' | 'no_match';
  values: Record<string, unknown>;
  fetchedAt: number;
}

export interface CacheKey {
  providerId: string;
  inputKey: string;
}

const CHUNK = 10_000;
export const cacheKeyString = (k: CacheKey) => `${k.providerId}\0${k.inputKey}`;

/**
 * Answers stored since `freshSince` for any of the keys: one query per
 * provider and ten thousand keys, each walking its list of input keys and
 * probing the primary key once per key.
 */
export async function readCache(db: Db, workspaceId: string, keys: CacheKey[], freshSince: number): Promise<Map<string, CachedAnswer>> {
  const byProvider = new Map<string, string[]>();
  for (const k of keys) {
    let list = byProvider.get(k.providerId);
    if (!list) byProvider.set(k.providerId, (list = []));
    list.push(k.inputKey);
  }
  const found = new Map<string, CachedAnswer>();
  for (const [providerId, inputKeys] of byProvider) {
    for (let i = 0; i < inputKeys.length; i += CHUNK) {
      const got = await db.values<[string, 'match' | 'no_match', string, number]>(sql`
        SELECT input_key, outcome, "values", fetched_at FROM cache
        WHERE workspace_id = ${workspaceId} AND provider_id = ${providerId}
          AND input_key IN (SELECT value FROM json_each(${JSON.stringify(inputKeys.slice(i, i + CHUNK))}))
          AND fetched_at >= ${freshSince}`);
      // libsql's rows are array-like, not iterable.
      for (const r of got) found.set(cacheKeyString({ providerId, inputKey: r[0] }), { outcome: r[1], values: JSON.parse(r[2]), fetchedAt: r[3] });
    }
  }
  return found;
}
