import { leadId } from '../../../shared/index.js';
import { LeadRefSchema, type LeadRefInput, type LeadView, type RowInspection } from '../contract.js';
import { AddonError } from '../core/apiErrors.js';
import { leadFieldsOf } from '../core/leadFields.js';
import { leadView } from '../core/leadRun.js';
import type { Ctx } from './context.js';
import { loadJob, loadLeadJobs, saveJob } from './jobStore.js';
import { parseArgs } from './validate.js';

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
 * The row inspector: the lead run of the row selected in the active tab.
 * Rows are keyed by their sheet row number when the job sent them, so the
 * row's lead is `{jobId}.{row}` of the newest job with lead fields that sent
 * this tab's rows around it. Anything else gets a sentence saying why there
 * is no run to show.
 */
export function inspectActiveRow(ctx: Ctx): RowInspection {
  const sheet = ctx.book.getActiveSheet();
  const sheetName = sheet.getName();
  const range = sheet.getActiveRange();
  if (!range) return { sheetName, row: null, selectedRows: 0, lead: null, note: 'Select a cell in the row to inspect, then press Inspect again.' };
  const row = range.getRow();
  const selectedRows = range.getNumRows();
  const none = (note: string): RowInspection => ({ sheetName, row, selectedRows, lead: null, note });
  const sheetId = sheet.getSheetId();
  const job = loadLeadJobs(ctx.user, ctx.book.getId()).find((j) => j.sheetId === sheetId && row >= j.firstRow && row <= j.lastRow);
  if (!job) {
    const latest = loadJob(ctx.user, ctx.book.getId());
    if (latest && latest.sheetId === sheetId && row >= latest.firstRow && row <= latest.lastRow && leadFieldsOf(latest.fields).length === 0) {
      return none(`Row ${row} was enriched without Qualify fields, so it has no lead run. Tick a Qualify field for the next job to score and qualify it.`);
    }
    if (latest && latest.sheetId === sheetId && row < latest.firstRow)
      return none(`Row ${row} is above the rows the job sent (they start at row ${latest.firstRow}).`);
    return none(`No Cascade job with Qualify fields has sent row ${row} of “${sheetName}”, so there is no lead run to show.`);
  }
  const lead = fetchLead(ctx, job.jobId, String(row));
  if (lead) return { sheetName, row, selectedRows, lead, note: null };
  return none(`Row ${row} has no lead run: it was empty when the job sent its rows, or it has not been sent yet.`);
}

export function readLeadRun(ctx: Ctx, raw: LeadRefInput): LeadView {
  const ref = parseArgs(LeadRefSchema, raw);
  const lead = fetchLead(ctx, ref.jobId, ref.key);
  if (!lead) throw new AddonError(`The Cascade API has no lead run for row ${ref.key} of job ${ref.jobId}.`);
  return lead;
}

/**
 * Replays one row: POST /v1/jobs/{id}/retry with its key, which resumes the
 * run from its failed step (steps that succeeded are never run again). The
 * API writes the row again when it finishes, so it gets a fresh Google token
 * first, as Retry flagged does.
 */
export function replayLeadRow(ctx: Ctx, raw: LeadRefInput): LeadView {
  const ref = parseArgs(LeadRefSchema, raw);
  const api = ctx.api();
  try {
    api.call('setToken', { id: ref.jobId, body: { accessToken: ctx.gas.ScriptApp.getOAuthToken() } });
  } catch (err) {
    // A job that writes to no sheet has no token to refresh; the replay itself still runs.
    if (!(err instanceof AddonError && err.code === 'not_found')) throw err;
  }
  api.call('retry', { id: ref.jobId, body: { keys: [ref.key] } });
  const state = loadJob(ctx.user, ctx.book.getId());
  if (state?.jobId === ref.jobId) {
    state.tokenSentAt = Date.now();
    // A retry also resumes a cancelled job: the saved state must not keep saying cancelled.
    state.cancelled = false;
    saveJob(ctx.user, state);
  }
  return readLeadRun(ctx, ref);
}
