import { JobStateSchema, type JobState } from '../core/jobState.js';
import type { GasProperties } from './gas.js';

const PREFIX = 'cascade.job.';
/** Jobs remembered per user; older ones are forgotten (the store holds 500 KB, a job about 400 bytes). */
const KEEP = 50;

/** The user's latest job in this spreadsheet, or null. A value that no longer parses is treated as no job. */
export function loadJob(props: GasProperties, spreadsheetId: string): JobState | null {
  const raw = props.getProperty(PREFIX + spreadsheetId);
  if (!raw) return null;
  try {
    const parsed = JobStateSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function saveJob(props: GasProperties, state: JobState): void {
  props.setProperty(PREFIX + state.spreadsheetId, JSON.stringify(state));
}

/** Called when a job starts: keeps the store from filling with jobs of spreadsheets long closed. */
export function forgetOldJobs(props: GasProperties): void {
  const keys = props.getKeys().filter((k) => k.startsWith(PREFIX));
  if (keys.length <= KEEP) return;
  const started = keys.map((k) => {
    try {
      return { k, at: Number((JSON.parse(props.getProperty(k) ?? '{}') as { startedAt?: number }).startedAt) || 0 };
    } catch {
      return { k, at: 0 };
    }
  });
  started.sort((a, b) => a.at - b.at);
  for (const { k } of started.slice(0, keys.length - KEEP)) props.deleteProperty(k);
}
