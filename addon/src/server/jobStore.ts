import { z } from 'zod';
import { JobStateSchema, type JobState } from '../core/jobState.js';
import { leadFieldsOf } from '../core/leadFields.js';
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
  for (const { k } of started.slice(0, keys.length - KEEP)) {
    props.deleteProperty(k);
    props.deleteProperty(LEAD_PREFIX + k.slice(PREFIX.length));
  }
}

/**
 * The lead jobs of a spreadsheet, newest first: which rows of which tab a
 * job with lead fields sent, so the row inspector finds a row's lead run
 * after later jobs (a plain enrichment on other columns) took the latest slot.
 */
const LEAD_PREFIX = 'cascade.leadJobs.';
/** About 120 bytes each: well inside the 9 KB a property value may hold. */
const KEEP_LEAD_JOBS = 20;

export const LeadJobSchema = z.object({
  jobId: z.string(),
  sheetId: z.number().int(),
  sheetName: z.string(),
  firstRow: z.number().int(),
  lastRow: z.number().int(),
  startedAt: z.number(),
});
export type LeadJob = z.infer<typeof LeadJobSchema>;

export function loadLeadJobs(props: GasProperties, spreadsheetId: string): LeadJob[] {
  try {
    const parsed = z.array(LeadJobSchema).safeParse(JSON.parse(props.getProperty(LEAD_PREFIX + spreadsheetId) ?? '[]'));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/** Remembers a job that asked for lead fields (others are not remembered here). */
export function rememberLeadJob(props: GasProperties, state: JobState): void {
  if (leadFieldsOf(state.fields).length === 0) return;
  const entry: LeadJob = {
    jobId: state.jobId,
    sheetId: state.sheetId,
    sheetName: state.sheetName,
    firstRow: state.firstRow,
    lastRow: state.lastRow,
    startedAt: state.startedAt,
  };
  const list = [entry, ...loadLeadJobs(props, state.spreadsheetId).filter((j) => j.jobId !== state.jobId)].slice(0, KEEP_LEAD_JOBS);
  props.setProperty(LEAD_PREFIX + state.spreadsheetId, JSON.stringify(list));
}
