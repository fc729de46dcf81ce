import { leadId, type Field } from '../../../shared/index.js';
import { LeadRefSchema, RowRefSchema, type LeadRefInput, type LeadView, type RowDetailView, type RowInspection, type RowRefInput } from '../contract.js';
import { AddonError } from '../core/apiErrors.js';
import { leadFieldsOf } from '../core/leadFields.js';
import { leadView } from '../core/leadRun.js';
import { providerLabels, rowDetailView } from '../core/rowDetail.js';
import type { Ctx } from './context.js';
import { loadJob, loadLeadJobs, saveJob } from './jobStore.js';
import { parseArgs } from './validate.js';

/** Provider labels change only with the API's configuration: kept in the user cache this long, so most looks cost one fetch. */
const LABELS_CACHE_SECONDS = 600;

/** GET /v1/leads/{jobId}.{key}, or null when the API has no run for that row. */
function fetchLead(ctx: Ctx, jobId: string, key: string): LeadView | null {
  try {
    return leadView(ctx.api().call('getLead', { id: leadId(jobId, key) }));
  } catch (err) {
    if (err instanceof AddonError && err.code === 'not_found') return null;
    throw err;
  }
}

/**
 * Provider id → label, from GET /v1/metrics (a short window: every
 * configured provider is listed whatever its calls), kept in the user cache
 * per API. Labels are a reader's nicety: an API that cannot say leaves ids.
 */
function labelsOf(ctx: Ctx): Map<string, string> {
  const api = ctx.api();
  const cache = ctx.gas.CacheService.getUserCache();
  const key = `cascade.labels|${api.url}`.slice(0, 250);
  const hit = cache?.getAll([key])[key];
  if (hit) {
    try {
      return new Map(JSON.parse(hit) as [string, string][]);
    } catch {
      // A value that no longer parses is asked for again.
    }
  }
  try {
    const labels = providerLabels(api.call('metrics', { query: { window: '1h' } }).providers);
    cache?.putAll({ [key]: JSON.stringify([...labels]) }, LABELS_CACHE_SECONDS);
    return labels;
  } catch {
    return new Map();
  }
}

/**
 * GET /v1/jobs/{id}/results?key={key}: that row alone, or null when the API
 * has no row of that key in the job (an empty cell, or not uploaded yet).
 * The row is picked by its key from the answer, whatever else it holds.
 */
function fetchRowDetail(ctx: Ctx, jobId: string, fields: readonly Field[], key: string): RowDetailView | null {
  const page = ctx.api().call('results', { id: jobId, query: { key } });
  const row = page.rows.find((r) => r.key === key);
  return row ? rowDetailView(jobId, fields, row, labelsOf(ctx)) : null;
}

/**
 * The row inspector: what Cascade knows of the row selected in the active
 * tab. Rows are keyed by their sheet row number when the job sent them.
 * A row a job with lead fields sent shows its lead run (`{jobId}.{row}` of
 * the newest such job around it); a row of the latest job, a plain
 * enrichment, shows its detail: each value and its provider, what is
 * missing and the flag in full. Anything else gets a sentence saying why
 * there is nothing to show.
 */
export function inspectActiveRow(ctx: Ctx): RowInspection {
  const sheet = ctx.book.getActiveSheet();
  const sheetName = sheet.getName();
  const range = sheet.getActiveRange();
  if (!range)
    return { sheetName, row: null, selectedRows: 0, lead: null, detail: null, note: 'Select a cell in the row to inspect, then press Inspect again.' };
  const row = range.getRow();
  const selectedRows = range.getNumRows();
  const none = (note: string): RowInspection => ({ sheetName, row, selectedRows, lead: null, detail: null, note });
  const sheetId = sheet.getSheetId();
  const covers = (j: { sheetId: number; firstRow: number; lastRow: number }) => j.sheetId === sheetId && row >= j.firstRow && row <= j.lastRow;
  const leadJob = loadLeadJobs(ctx.user, ctx.book.getId()).find(covers);
  if (leadJob) {
    const lead = fetchLead(ctx, leadJob.jobId, String(row));
    if (lead) return { sheetName, row, selectedRows, lead, detail: null, note: null };
  }
  const latest = loadJob(ctx.user, ctx.book.getId());
  if (latest && covers(latest) && leadFieldsOf(latest.fields).length === 0) {
    const detail = fetchRowDetail(ctx, latest.jobId, latest.fields, String(row));
    if (detail) return { sheetName, row, selectedRows, lead: null, detail, note: null };
    if (row >= latest.nextRow) return none(`Row ${row} has not been sent to Cascade yet: the job is still uploading its column.`);
    return none(`Row ${row} has no result: it was empty when the job sent its rows.`);
  }
  if (leadJob) return none(`Row ${row} has no lead run: it was empty when the job sent its rows, or it has not been sent yet.`);
  if (latest && latest.sheetId === sheetId && row < latest.firstRow)
    return none(`Row ${row} is above the rows the job sent (they start at row ${latest.firstRow}).`);
  return none(
    `No recent Cascade job has sent row ${row} of “${sheetName}”: the inspector shows the rows of your latest job here, and of jobs with Qualify fields.`,
  );
}

/** A plain row's detail again, by job and key (the inspector refreshing after Retry). */
export function readRowDetail(ctx: Ctx, raw: RowRefInput): RowDetailView {
  const ref = parseArgs(RowRefSchema, raw);
  const saved = loadJob(ctx.user, ctx.book.getId());
  const fields = saved?.jobId === ref.jobId ? saved.fields : ctx.api().call('getJob', { id: ref.jobId }).fields;
  const detail = fetchRowDetail(ctx, ref.jobId, fields, ref.key);
  if (!detail) throw new AddonError(`The Cascade API has no row ${ref.key} in job ${ref.jobId}.`);
  return detail;
}

export function readLeadRun(ctx: Ctx, raw: LeadRefInput): LeadView {
  const ref = parseArgs(LeadRefSchema, raw);
  const lead = fetchLead(ctx, ref.jobId, ref.key);
  if (!lead) throw new AddonError(`The Cascade API has no lead run for row ${ref.key} of job ${ref.jobId}.`);
  return lead;
}

/**
 * Re-queues one row: POST /v1/jobs/{id}/retry with its key. The API writes
 * the row again when it finishes, so it gets a fresh Google token first, as
 * Retry flagged does; the saved job stops saying cancelled, since a retry
 * resumes a cancelled job.
 */
function requeueRow(ctx: Ctx, ref: { jobId: string; key: string }): void {
  const api = ctx.api();
  try {
    api.call('setToken', { id: ref.jobId, body: { accessToken: ctx.gas.ScriptApp.getOAuthToken() } });
  } catch (err) {
    // A job that writes to no sheet has no token to refresh; the retry itself still runs.
    if (!(err instanceof AddonError && err.code === 'not_found')) throw err;
  }
  api.call('retry', { id: ref.jobId, body: { keys: [ref.key] } });
  const state = loadJob(ctx.user, ctx.book.getId());
  if (state?.jobId === ref.jobId) {
    state.tokenSentAt = Date.now();
    state.cancelled = false;
    saveJob(ctx.user, state);
  }
}

/** Replays one lead row: its run resumes from its failed step (steps that succeeded are never run again). */
export function replayLeadRow(ctx: Ctx, raw: LeadRefInput): LeadView {
  const ref = parseArgs(LeadRefSchema, raw);
  requeueRow(ctx, ref);
  return readLeadRun(ctx, ref);
}

/** Retries one flagged row of a plain job: providers that answered are not asked again; the one that failed is. */
export function retryPlainRow(ctx: Ctx, raw: RowRefInput): RowDetailView {
  const ref = parseArgs(RowRefSchema, raw);
  requeueRow(ctx, ref);
  return readRowDetail(ctx, ref);
}
