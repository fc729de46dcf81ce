import type { DashboardView } from '../contract.js';
import { AddonError } from '../core/apiErrors.js';
import type { Ctx } from './context.js';
import { loadJob, saveJob } from './jobStore.js';

/** The tab the API writes (api/sheets/dashboard.ts names it the same). */
export const DASHBOARD_TAB = 'Cascade dashboard';

/** How long the button waits for the API to rewrite a finished job's dashboard before showing the tab as it is. */
const REFRESH_WAIT_MS = 10_000;
const POLL_MS = 250;

/**
 * Opens the dashboard tab, refreshed. The API writes the tab as a job runs
 * and once more when the job's writing settles; handing it a fresh Google
 * token re-opens a settled job's writing, so it settles again with today's
 * figures (and creates the tab if it is gone). For a running job the API is
 * refreshing it anyway.
 */
export function showDashboard(ctx: Ctx): DashboardView {
  const state = loadJob(ctx.user, ctx.book.getId());
  let refreshed = false;
  if (state) {
    const api = ctx.api();
    const id = state.jobId;
    const job = api.call('setToken', { id, body: { accessToken: ctx.gas.ScriptApp.getOAuthToken() } });
    state.tokenSentAt = Date.now();
    saveJob(ctx.user, state);
    if (job.sheet && job.status !== 'running') {
      for (const stop = Date.now() + REFRESH_WAIT_MS; Date.now() < stop; ) {
        if (api.call('getJob', { id }).sheet?.state === 'done') {
          refreshed = true;
          break;
        }
        ctx.gas.Utilities.sleep(POLL_MS);
      }
    } else refreshed = job.sheet !== undefined;
  }
  const tab = ctx.book.getSheetByName(DASHBOARD_TAB);
  if (!tab) throw new AddonError('The dashboard tab appears once a job has written results into this spreadsheet.');
  tab.activate();
  return { sheetName: DASHBOARD_TAB, refreshed };
}
