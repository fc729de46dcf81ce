import type { Env } from '../env.js';

/** Write-back settings. Google's figures are the defaults; each can be changed (quotas differ per project and change over time). */
export interface SheetsOptions {
  /** Sheets API base URL (`CASCADE_SHEETS_URL`); Google's when unset. */
  rootUrl?: string;
  /** Service account key file (`GOOGLE_APPLICATION_CREDENTIALS`), for jobs sent without a user token. */
  serviceAccountKeyFile?: string;
  writesPerMinutePerUser: number;
  writesPerMinutePerProject: number;
  readsPerMinutePerUser: number;
  readsPerMinutePerProject: number;
  /** The quota window: 60 s at Google; tests shorten it so a quota binds within a test. */
  quotaWindowMs: number;
  /** Rows per write request, and the payload size a request stays under (Google recommends about 2 MB). */
  maxRowsPerRequest: number;
  maxRequestBytes: number;
  /** A write waits for this many finished rows, or for `maxDelayMs` after the first one, so requests stay few and large. */
  minRowsPerRequest: number;
  maxDelayMs: number;
  /** How often the dashboard tab is refreshed while a job writes. */
  dashboardEveryMs: number;
  pollMs: number;
  /** Backoff after a 429 or 5xx from Google: doubles from the first figure up to the second, with jitter. */
  backoffMs: [number, number];
  /** Tries per request before it is left for the next round (the rows stay pending). */
  maxAttempts: number;
  requestTimeoutMs: number;
  /** How long a writer's lease on a job's target lasts unrenewed; renewed every third of it. Death is noticed sooner (the cluster's dead-after). */
  leaseMs: number;
  /** Seals OAuth tokens in the database (`CASCADE_TOKEN_KEY`, 32 bytes); without it a token stays in the memory of the instance that received it. */
  tokenKey?: Buffer;
}

export const DEFAULT_SHEETS_OPTIONS: SheetsOptions = {
  writesPerMinutePerUser: 60,
  writesPerMinutePerProject: 300,
  readsPerMinutePerUser: 60,
  readsPerMinutePerProject: 300,
  quotaWindowMs: 60_000,
  maxRowsPerRequest: 10_000,
  maxRequestBytes: 2_000_000,
  minRowsPerRequest: 500,
  maxDelayMs: 2_000,
  dashboardEveryMs: 30_000,
  pollMs: 250,
  backoffMs: [1_000, 64_000],
  maxAttempts: 6,
  requestTimeoutMs: 60_000,
  leaseMs: 30_000,
};

/** Write-back settings from the parsed environment: Google's defaults where a variable is unset. */
export function sheetsOptionsFromEnv(env: Env): SheetsOptions {
  const set = <K extends keyof SheetsOptions>(key: K, value: SheetsOptions[K] | undefined) => (value === undefined ? {} : { [key]: value });
  return {
    ...DEFAULT_SHEETS_OPTIONS,
    ...set('rootUrl', env.CASCADE_SHEETS_URL),
    ...set('serviceAccountKeyFile', env.GOOGLE_APPLICATION_CREDENTIALS),
    ...set('writesPerMinutePerUser', env.CASCADE_SHEETS_WRITES_PER_USER),
    ...set('writesPerMinutePerProject', env.CASCADE_SHEETS_WRITES_PER_PROJECT),
    ...set('readsPerMinutePerUser', env.CASCADE_SHEETS_READS_PER_USER),
    ...set('readsPerMinutePerProject', env.CASCADE_SHEETS_READS_PER_PROJECT),
    ...set('dashboardEveryMs', env.CASCADE_SHEETS_DASHBOARD_MS),
    ...set('tokenKey', env.CASCADE_TOKEN_KEY),
  };
}
