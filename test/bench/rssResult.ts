/** What rss.ts reports to run.ts: one stdout line, this marker then JSON. */
export interface RssResult {
  rows: number;
  seconds: number;
  maxRssMB: number;
  counts: Record<string, number>;
  paidCalls: number;
}

export const RSS_MARKER = 'BENCH_RSS_RESULT ';
