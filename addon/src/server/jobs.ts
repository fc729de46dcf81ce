import type { CreateJob, JobView } from '../../../shared/index.js';
import { PlanSchema, RetrySchema, type InputColumns, type PlanInput, type ProgressView, type RetryInput } from '../contract.js';
import { AddonError } from '../core/apiErrors.js';
import { splitByPayload, utf8Bytes } from '../core/batches.js';
import { proposeOutputs } from '../core/columns.js';
import type { JobState } from '../core/jobState.js';
import { leadFieldsOf } from '../core/leadFields.js';
import { toProgress } from '../core/progress.js';
import type { Ctx } from './context.js';
import type { GasSheet } from './gas.js';
import { forgetOldJobs, loadJob, rememberLeadJob, saveJob } from './jobStore.js';
import { cellText, checkInputColumns, findSheet, readRows, type SheetRow } from './sheet.js';
import { parseArgs } from './validate.js';

/** How long a start waits for another execution of this user (a double click) before saying so. */
const START_LOCK_MS = 10_000;

/**
 * The next request's rows from `state.nextRow` on: at most batchRows sheet
 * rows, cut again by payload size. `endRow` is the last sheet row the batch
 * accounts for (empty rows included), where the next batch starts after.
 */
function nextBatch(
  ctx: Ctx,
  state: Pick<JobState, 'sheetName' | 'sheetId' | 'inputs' | 'nextRow' | 'lastRow'>,
  envelope: object = { rows: [] },
): { rows: SheetRow[]; endRow: number } {
  const sheet = findSheet(ctx.book, state.sheetName, state.sheetId);
  const end = Math.min(state.lastRow, state.nextRow + ctx.limits.batchRows - 1);
  const rows = readRows(sheet, state.inputs, state.nextRow, end);
  const first = splitByPayload(rows, ctx.limits.maxPayloadBytes, utf8Bytes(JSON.stringify(envelope)))[0] ?? [];
  const endRow = first.length < rows.length ? Number(first[first.length - 1]!.key) : end;
  return { rows: first, endRow };
}

/** Rows with any input: the job's total, counted without building the rows. */
function countRows(sheet: GasSheet, inputs: InputColumns, from: number, to: number): number {
  if (to < from) return 0;
  const columns = Object.values(inputs).map((col) => sheet.getRange(from, col, to - from + 1, 1).getValues());
  let n = 0;
  for (let i = 0; i <= to - from; i++) if (columns.some((c) => cellText(c[i]![0]!) !== '')) n++;
  return n;
}

function fetchJob(ctx: Ctx, state: JobState): JobView {
  return ctx.api().call('getJob', { id: state.jobId });
}

/** Hands the API a fresh Google token when the last one is getting old or was refused; tokens last about an hour. */
function refreshToken(ctx: Ctx, state: JobState, job: JobView | null, force = false): void {
  const refused = job?.sheet?.lastError?.code === 'google_unauthorized';
  if (!force && !refused && Date.now() - state.tokenSentAt < ctx.limits.tokenRefreshMs) return;
  ctx.api().call('setToken', { id: state.jobId, body: { accessToken: ctx.gas.ScriptApp.getOAuthToken() } });
  state.tokenSentAt = Date.now();
  saveJob(ctx.user, state);
}

export function createSheetJob(ctx: Ctx, raw: PlanInput): ProgressView {
  const plan = parseArgs(PlanSchema, raw);
  const lock = ctx.gas.LockService.getUserLock();
  if (!lock.tryLock(START_LOCK_MS)) throw new AddonError('Another Cascade action of yours is still running; try again in a moment.');
  try {
    const running = loadJob(ctx.user, ctx.book.getId());
    if (running && !running.cancelled) {
      const job = fetchJobOrNull(ctx, running);
      if (job && job.status === 'running') throw new AddonError('A Cascade job is already running in this spreadsheet: wait for it or cancel it first.');
    }
    const sheet = findSheet(ctx.book, plan.sheetName);
    checkInputColumns(sheet, plan.inputs);
    const firstRow = plan.headerRow + 1;
    const lastRow = sheet.getLastRow();
    const total = countRows(sheet, plan.inputs, firstRow, lastRow);
    if (total === 0) throw new AddonError(`There are no rows with input below row ${plan.headerRow} in the chosen columns.`);
    const headers = sheet.getRange(plan.headerRow, 1, 1, sheet.getLastColumn()).getValues()[0]!.map(cellText);
    const { outputs, status } = proposeOutputs(headers, plan.fields, Object.values(plan.inputs));
    const base = { sheetName: sheet.getName(), sheetId: sheet.getSheetId(), inputs: plan.inputs, nextRow: firstRow, lastRow };
    const body: CreateJob = {
      fields: plan.fields,
      rows: [],
      ...(plan.maxCostUsd !== undefined ? { maxCostUsd: plan.maxCostUsd } : {}),
      sheet: {
        spreadsheetId: ctx.book.getId(),
        sheetName: base.sheetName,
        headerRow: plan.headerRow,
        columns: Object.fromEntries(Object.entries(outputs).map(([f, o]) => [f, o.header])),
        statusColumn: status.header,
        userKey: ctx.gas.Session.getTemporaryActiveUserKey(),
      },
      googleAccessToken: ctx.gas.ScriptApp.getOAuthToken(),
      // The pipeline's effects (CRM, owners told) run only when the user turned them on, and only for lead fields.
      ...(leadFieldsOf(plan.fields).length > 0 ? { pipeline: { deliver: plan.pipeline?.deliver ?? false, notify: plan.pipeline?.notify ?? false } } : {}),
    };
    // The first batch rides with the job, so the job is never momentarily empty (and done).
    const first = nextBatch(ctx, base, body);
    body.rows = first.rows;
    // The same key if this very request is retried: the API answers with the job it already made.
    const created = ctx.api().call('createJob', { body }, { 'idempotency-key': ctx.gas.Utilities.getUuid() });
    const state: JobState = {
      jobId: created.id,
      spreadsheetId: ctx.book.getId(),
      ...base,
      headerRow: plan.headerRow,
      fields: plan.fields,
      firstRow,
      nextRow: first.endRow + 1,
      uploaded: first.rows.length,
      total,
      startedAt: Date.now(),
      cancelled: false,
      tokenSentAt: Date.now(),
    };
    forgetOldJobs(ctx.user);
    saveJob(ctx.user, state);
    rememberLeadJob(ctx.user, state);
    return progressOf(ctx, state);
  } finally {
    lock.releaseLock();
  }
}

/**
 * Uploads the rest of the column, batch after batch, until done or the
 * execution's upload budget is spent; the sidebar calls again until every
 * row is with the API. Under the user lock, so two open sidebars never send
 * the same rows; progress is saved after every batch, so an execution killed
 * at any point resumes at the first batch the API has not acknowledged.
 */
export function uploadMore(ctx: Ctx): ProgressView {
  const peek = requireJob(ctx);
  if (peek.cancelled || peek.nextRow > peek.lastRow) return progressOf(ctx, peek);
  const lock = ctx.gas.LockService.getUserLock();
  if (!lock.tryLock(ctx.limits.lockWaitMs)) return progressOf(ctx, peek);
  let state = peek;
  try {
    state = requireJob(ctx);
    const stopAt = Date.now() + ctx.limits.uploadBudgetMs;
    do {
      const batch = nextBatch(ctx, state);
      if (batch.rows.length > 0 && !append(ctx, state, batch.rows)) break;
      state.nextRow = batch.endRow + 1;
      state.uploaded += batch.rows.length;
      // Cancel runs in another execution while this one uploads: its flag must survive this save, and stops the loop.
      state.cancelled = loadJob(ctx.user, ctx.book.getId())?.cancelled ?? false;
      saveJob(ctx.user, state);
    } while (!state.cancelled && state.nextRow <= state.lastRow && Date.now() < stopAt);
  } finally {
    lock.releaseLock();
  }
  return progressOf(ctx, state);
}

/** Sends one batch. False when the job was cancelled meanwhile (the upload stops there; Retry resumes it). */
function append(ctx: Ctx, state: JobState, rows: SheetRow[]): boolean {
  try {
    ctx.api().call('appendRows', { id: state.jobId, body: { rows } });
    return true;
  } catch (err) {
    if (!(err instanceof AddonError)) throw err;
    if (err.code === 'job_cancelled') {
      state.cancelled = true;
      saveJob(ctx.user, state);
      return false;
    }
    // An execution that died after the API took the batch but before saving leaves its keys in the job: the API refuses
    // them as duplicate_row_key. It takes a batch whole or not at all, and batches are cut by size as well as count, so
    // a batch cut differently this time may be only partly there: the job's row count says whether this one is whole.
    if (err.code === 'duplicate_row_key' && fetchJob(ctx, state).counts.total === state.uploaded + rows.length) return true;
    throw err;
  }
}

function requireJob(ctx: Ctx): JobState {
  const state = loadJob(ctx.user, ctx.book.getId());
  if (!state) throw new AddonError('There is no Cascade job in this spreadsheet yet.');
  return state;
}

function fetchJobOrNull(ctx: Ctx, state: JobState): JobView | null {
  try {
    return fetchJob(ctx, state);
  } catch (err) {
    // A job of another workspace (the key was changed) or a reset API: nothing to show or resume.
    if (err instanceof AddonError && err.code === 'not_found') return null;
    throw err;
  }
}

/** The job as the sidebar shows it; while it runs (or writing waits for a token), the API's Google token is kept fresh. */
function view(ctx: Ctx, state: JobState, job: JobView): ProgressView {
  if (job.status === 'running' || job.sheet?.state === 'paused') refreshToken(ctx, state, job);
  return toProgress(state, job);
}

function progressOf(ctx: Ctx, state: JobState): ProgressView {
  return view(ctx, state, fetchJob(ctx, state));
}

export function readProgress(ctx: Ctx): ProgressView | null {
  const state = loadJob(ctx.user, ctx.book.getId());
  const job = state && fetchJobOrNull(ctx, state);
  return state && job ? view(ctx, state, job) : null;
}

export function stopJob(ctx: Ctx): ProgressView {
  const state = requireJob(ctx);
  const job = ctx.api().call('cancel', { id: state.jobId });
  state.cancelled = true;
  saveJob(ctx.user, state);
  return toProgress(state, job);
}

/** Re-queues the flagged rows (answers already bought are not paid again) and resumes a cancelled upload. */
export function requeueFlagged(ctx: Ctx, raw: RetryInput): ProgressView {
  const options = parseArgs(RetrySchema, raw ?? {});
  const state = requireJob(ctx);
  refreshToken(ctx, state, null, true);
  ctx.api().call('retry', { id: state.jobId, body: options });
  state.cancelled = false;
  saveJob(ctx.user, state);
  return toProgress(state, fetchJob(ctx, state));
}
