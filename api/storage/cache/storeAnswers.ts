import type { EntryKind } from '../journal.js';
import { jsonText } from '../jsonText.js';

export interface StoredAnswer {
  workspaceId: string;
  providerId: string;
  inputKey: string;
  outcome: 'match' | 'no_match';
  values: Record<string, unknown>;
  fetchedAt: number;
}

/** Answers into the cache; a fresher answer for the same key replaces the old one. */
export const storedAnswers: EntryKind<StoredAnswer> = {
  statements(entries) {
    const batch = jsonText(entries.map((a) => [a.workspaceId, a.providerId, a.inputKey, a.outcome, jsonText(a.values), a.fetchedAt]));
    // `WHERE true` tells SQLite's parser that ON CONFLICT starts the upsert, not a join constraint.
    return [
      {
        sql: `INSERT INTO cache (workspace_id, provider_id, input_key, outcome, "values", fetched_at)
              SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5
              FROM json_each(?) j WHERE true
              ON CONFLICT (workspace_id, provider_id, input_key)
              DO UPDATE SET outcome = excluded.outcome, "values" = excluded."values", fetched_at = excluded.fetched_at`,
        args: [batch],
      },
    ];
  },
};
