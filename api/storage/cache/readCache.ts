import { sql } from 'drizzle-orm';
import type { Db } from '../db.js';
import { jsonText } from '../jsonText.js';

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
const SMALL_BATCH = 64;

/** Answers by provider, then input key: looking one up builds no key string (a rerun looks up thousands per request). */
export class CachedAnswers {
  private readonly byProvider = new Map<string, Map<string, CachedAnswer>>();

  set(key: CacheKey, answer: CachedAnswer): void {
    let answers = this.byProvider.get(key.providerId);
    if (!answers) this.byProvider.set(key.providerId, (answers = new Map()));
    answers.set(key.inputKey, answer);
  }

  get(key: CacheKey): CachedAnswer | undefined {
    return this.byProvider.get(key.providerId)?.get(key.inputKey);
  }
}

/**
 * Answers stored since `freshSince` for any of the keys. CROSS JOIN makes
 * SQLite walk the key list and probe the primary key once per key (a plain
 * join may scan the workspace's whole cache instead).
 *
 * A query costs about as much to prepare as to run on a few keys, so a small
 * batch (a runner step's candidates) is one query whatever its providers; a
 * large one (a submitted batch of rows) is one query per provider and ten
 * thousand keys, where each key is a plain string and the probes cheaper.
 */
export async function readCache(db: Db, workspaceId: string, keys: CacheKey[], freshSince: number): Promise<CachedAnswers> {
  if (keys.length <= SMALL_BATCH) return readFew(db, workspaceId, keys, freshSince);
  const byProvider = new Map<string, string[]>();
  for (const k of keys) {
    let list = byProvider.get(k.providerId);
    if (!list) byProvider.set(k.providerId, (list = []));
    list.push(k.inputKey);
  }
  const found = new CachedAnswers();
  for (const [providerId, inputKeys] of byProvider) {
    for (let i = 0; i < inputKeys.length; i += CHUNK) {
      // One row holding a JSON array: libsql's per-row conversion cost more than the lookups themselves.
      const [row] = await db.values<[string | null]>(sql`
        SELECT json_group_array(json_array(c.input_key, c.outcome, json(c."values"), c.fetched_at))
        FROM json_each(${jsonText(inputKeys.slice(i, i + CHUNK))}) j
        CROSS JOIN cache c ON c.workspace_id = ${workspaceId} AND c.provider_id = ${providerId} AND c.input_key = j.value
        WHERE c.fetched_at >= ${freshSince}`);
      const got = JSON.parse(row?.[0] ?? '[]') as [string, 'match' | 'no_match', Record<string, unknown>, number][];
      for (const [inputKey, outcome, values, fetchedAt] of got) found.set({ providerId, inputKey }, { outcome, values, fetchedAt });
    }
  }
  return found;
}

async function readFew(db: Db, workspaceId: string, keys: CacheKey[], freshSince: number): Promise<CachedAnswers> {
  const [row] = await db.values<[string | null]>(sql`
    SELECT json_group_array(json_array(c.provider_id, c.input_key, c.outcome, json(c."values"), c.fetched_at))
    FROM json_each(${jsonText(keys.map((k) => [k.providerId, k.inputKey]))}) j
    CROSS JOIN cache c ON c.workspace_id = ${workspaceId} AND c.provider_id = j.value ->> 0 AND c.input_key = j.value ->> 1
    WHERE c.fetched_at >= ${freshSince}`);
  const got = JSON.parse(row?.[0] ?? '[]') as [string, string, 'match' | 'no_match', Record<string, unknown>, number][];
  const found = new CachedAnswers();
  for (const [providerId, inputKey, outcome, values, fetchedAt] of got) found.set({ providerId, inputKey }, { outcome, values, fetchedAt });
  return found;
}
