import { sql } from 'drizzle-orm';

/** Row statuses that are an outcome to show in the sheet. */
export const FINISHED = sql`('matched', 'partial', 'no_match', 'failed', 'invalid_input', 'budget_exhausted')`;
