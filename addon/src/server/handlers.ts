import { HeaderRowSchema } from '../../../shared/index.js';
import type { ServerFunctions, SidebarState } from '../contract.js';
import { checkConnection } from './connection.js';
import { createCtx, type Ctx } from './context.js';
import { showDashboard } from './dashboard.js';
import { estimatePlan } from './estimate.js';
import type { Gas } from './gas.js';
import { inspectActiveRow, readLeadRun, readRowDetail, replayLeadRow, retryPlainRow } from './inspect.js';
import { createSheetJob, readProgress, requeueFlagged, stopJob, uploadMore } from './jobs.js';
import { readPipeline } from './pipeline.js';
import { readSettings, settingsView, storeSettings } from './settings.js';
import { describeSheet } from './sheet.js';
import { parseArgs } from './validate.js';

function sidebarState(ctx: Ctx): SidebarState {
  const settings = settingsView(ctx.user);
  const sheet = describeSheet(ctx.book.getActiveSheet(), 1);
  if (!readSettings(ctx.user)) return { settings, sheet, job: null, jobError: null };
  try {
    return { settings, sheet, job: readProgress(ctx), jobError: null };
  } catch (err) {
    // The sidebar still opens when the API is down; it says so where the job would be.
    return { settings, sheet, job: null, jobError: err instanceof Error ? err.message : String(err) };
  }
}

/** What `google.script.run` reaches, built for one execution from the services it runs with. */
export function createServer(gas: Gas): ServerFunctions {
  const ctx = createCtx(gas);
  return {
    getSidebarState: () => sidebarState(ctx),
    saveSettings: (input) => storeSettings(ctx.user, input),
    testConnection: () => checkConnection(ctx),
    inspectSheet: (headerRow) => describeSheet(ctx.book.getActiveSheet(), parseArgs(HeaderRowSchema, headerRow)),
    estimate: (plan) => estimatePlan(ctx, plan),
    startJob: (plan) => createSheetJob(ctx, plan),
    continueUpload: () => uploadMore(ctx),
    getProgress: () => readProgress(ctx),
    cancelJob: () => stopJob(ctx),
    retryFlagged: (options) => requeueFlagged(ctx, options),
    openDashboard: () => showDashboard(ctx),
    getPipeline: () => readPipeline(ctx),
    inspectRow: () => inspectActiveRow(ctx),
    inspectLead: (ref) => readLeadRun(ctx, ref),
    replayLead: (ref) => replayLeadRow(ctx, ref),
    inspectResult: (ref) => readRowDetail(ctx, ref),
    retryRow: (ref) => retryPlainRow(ctx, ref),
  };
}
