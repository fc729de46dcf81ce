import { sql } from 'drizzle-orm';
import type { Db } from './db.js';
import type { EntryKind } from './journal.js';
import { jsonText } from './jsonText.js';

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
 * conversion cost more than the lookups themselves.
 */
export function cacheStore(db: Db): CacheStore {
  async function readFew(workspaceId: string, keys: CacheKey[], freshSince: number): Promise<CachedAnswers> {
    const batch = jsonText(keys.map(({ providerId, inputKey }) => ({ providerId, inputKey })));
    const [row] = await db.values<[string | null]>(sql`
      SELECT json_group_array(json_object('providerId', c.provider_id, 'inputKey', c.input_key,
        'outcome', c.outcome, 'values', json(c."values"), 'fetchedAt', c.fetched_at))
      FROM json_each(${batch}) j
      CROSS JOIN cache c ON c.workspace_id = ${workspaceId} AND c.provider_id = j.value ->> '$.providerId' AND c.input_key = j.value ->> '$.inputKey'
      WHERE c.fetched_at >= ${freshSince}`);
    const found = new CachedAnswers();
    for (const a of JSON.parse(row?.[0] ?? '[]') as StoredAnswer[]) {
      found.set({ providerId: a.providerId, inputKey: a.inputKey }, { outcome: a.outcome, values: a.values, fetchedAt: a.fetchedAt });
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
            SELECT json_group_array(json_object('inputKey', c.input_key, 'outcome', c.outcome, 'values', json(c."values"), 'fetchedAt', c.fetched_at))
            FROM json_each(${jsonText(inputKeys.slice(i, i + CHUNK))}) j
            CROSS JOIN cache c ON c.workspace_id = ${workspaceId} AND c.provider_id = ${providerId} AND c.input_key = j.value
            WHERE c.fetched_at >= ${freshSince}`);
          for (const a of JSON.parse(row?.[0] ?? '[]') as Omit<StoredAnswer, 'providerId'>[]) {
            found.set({ providerId, inputKey: a.inputKey }, { outcome: a.outcome, values: a.values, fetchedAt: a.fetchedAt });
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
    const batch = jsonText(
      entries.map((a) => ({ workspaceId: a.workspaceId, providerId: a.providerId, inputKey: a.inputKey, outcome: a.outcome, values: jsonText(a.values), fetchedAt: a.fetchedAt })),
    );
    // `WHERE true` tells SQLite's parser that ON CONFLICT starts the upsert, not a join constraint.
    return [
      {
        sql: `INSERT INTO cache (workspace_id, provider_id, input_key, outcome, "values", fetched_at)
              SELECT j.value ->> '$.workspaceId', j.value ->> '$.providerId', j.value ->> '$.inputKey', j.value ->> '$.outcome',
                j.value ->> '$.values', j.value ->> '$.fetchedAt'
              FROM json_each(?) j WHERE true
              ON CONFLICT (workspace_id, provider_id, input_key)
              DO UPDATE SET outcome = excluded.outcome, "values" = excluded."values", fetched_at = excluded.fetched_at`,
        args: [batch],
      },
    ];
  },
};
