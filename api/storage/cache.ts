import { sql } from 'drizzle-orm';
import { batchStatement } from './batch.js';
import type { Db } from './db.js';
import type { EntryKind } from './journal.js';
import { jsonText } from './jsonText.js';
import { parseJson } from './schema/json.js';

/**
 * The cache aggregate: every answer a provider gave, by (workspace, provider,
 * input key). Answers are written only through the journal (storedAnswers),
 * committed before the row that bought them uses them; the port reads.
 */

export interface CachedAnswer {
  outcome: 'match' | 'no_match';
  values: Record<string, unknown>;
  fetchedAt: number;
}

export interface CacheKey {
  providerId: string;
  inputKey: string;
}

export interface StoredAnswer extends CacheKey, CachedAnswer {
  workspaceId: string;
}

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

export interface CacheStore {
  /** Answers of this workspace stored since `freshSince` for any of the keys. */
  read(workspaceId: string, keys: CacheKey[], freshSince: number): Promise<CachedAnswers>;
}

const CHUNK = 10_000;
const SMALL_BATCH = 64;

/**
 * CROSS JOIN makes SQLite walk the key list and probe the primary key once
 * per key (a plain join may scan the workspace's whole cache instead).
 *
 * A query costs about as much to prepare as to run on a few keys, so a small
 * batch (a runner step's candidates) is one query whatever its providers; a
 * large one (a submitted batch of rows) is one query per provider and ten
 * thousand keys, where each key is a plain string and the probes cheaper.
 *
 * Answers come back as one row holding a JSON array: libsql's per-row
 * conversion cost more than the lookups themselves (twice the time of a
 * runner step's read).
 */
export function cacheStore(db: Db): CacheStore {
  // Answers come back as tuples in one JSON array: `json_array` built in the query and destructured right
  // below it, in this file only. Objects (json_object) made a runner step's read a fifth slower.
  async function readFew(workspaceId: string, keys: CacheKey[], freshSince: number): Promise<CachedAnswers> {
    const [row] = await db.values<[string | null]>(sql`
      SELECT json_group_array(json_array(c.provider_id, c.input_key, c.outcome, json(c."values"), c.fetched_at))
      FROM json_each(${jsonText(keys.map(({ providerId, inputKey }) => ({ providerId, inputKey })))}) j
      CROSS JOIN cache c ON c.workspace_id = ${workspaceId} AND c.provider_id = j.value ->> '$.providerId' AND c.input_key = j.value ->> '$.inputKey'
      WHERE c.fetched_at >= ${freshSince}`);
    const found = new CachedAnswers();
    for (const [providerId, inputKey, outcome, values, fetchedAt] of parseJson<[string, string, CachedAnswer['outcome'], CachedAnswer['values'], number][]>(
      row?.[0] ?? '[]',
    )) {
      found.set({ providerId, inputKey }, { outcome, values, fetchedAt });
    }
    return found;
  }

  return {
    async read(workspaceId, keys, freshSince) {
      if (keys.length <= SMALL_BATCH) return readFew(workspaceId, keys, freshSince);
      const byProvider = new Map<string, string[]>();
      for (const k of keys) {
        let list = byProvider.get(k.providerId);
        if (!list) byProvider.set(k.providerId, (list = []));
        list.push(k.inputKey);
      }
      const found = new CachedAnswers();
      for (const [providerId, inputKeys] of byProvider) {
        for (let i = 0; i < inputKeys.length; i += CHUNK) {
          const [row] = await db.values<[string | null]>(sql`
            SELECT json_group_array(json_array(c.input_key, c.outcome, json(c."values"), c.fetched_at))
            FROM json_each(${jsonText(inputKeys.slice(i, i + CHUNK))}) j
            CROSS JOIN cache c ON c.workspace_id = ${workspaceId} AND c.provider_id = ${providerId} AND c.input_key = j.value
            WHERE c.fetched_at >= ${freshSince}`);
          for (const [inputKey, outcome, values, fetchedAt] of parseJson<[string, CachedAnswer['outcome'], CachedAnswer['values'], number][]>(
            row?.[0] ?? '[]',
          )) {
            found.set({ providerId, inputKey }, { outcome, values, fetchedAt });
          }
        }
      }
      return found;
    },
  };
}

/** Answers into the cache; a fresher answer for the same key replaces the old one. */
export const storedAnswers: EntryKind<StoredAnswer> = {
  statements(entries) {
    // Values travel as JSON strings: SQLite stores them as they are instead of parsing and re-serialising each.
    // `WHERE true` tells SQLite's parser that ON CONFLICT starts the upsert, not a join constraint.
    return [
      batchStatement(
        entries,
        (a) => ({
          workspaceId: a.workspaceId,
          providerId: a.providerId,
          inputKey: a.inputKey,
          outcome: a.outcome,
          values: jsonText(a.values),
          fetchedAt: a.fetchedAt,
        }),
        `INSERT INTO cache (workspace_id, provider_id, input_key, outcome, "values", fetched_at)
         SELECT e ->> '$.workspaceId', e ->> '$.providerId', e ->> '$.inputKey', e ->> '$.outcome', e ->> '$.values', e ->> '$.fetchedAt'
         FROM batch WHERE true
         ON CONFLICT (workspace_id, provider_id, input_key)
         DO UPDATE SET outcome = excluded.outcome, "values" = excluded."values", fetched_at = excluded.fetched_at`,
      ),
    ];
  },
};
