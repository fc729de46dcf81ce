import type { PlanInput, ProgressView, SidebarState } from '../contract.js';
import { $, h } from './dom.js';
import { inspectPanel } from './inspectPanel.js';
import { jobPanel } from './jobPanel.js';
import { forgetPipeline, pipelineInfo } from './pipeline.js';
import { call } from './run.js';
import { settingsPanel } from './settingsPanel.js';
import { setupPanel } from './setupPanel.js';

/**
 * Between progress polls. Each poll is an Apps Script execution and a UrlFetch
 * call (20,000 a day on a consumer account): brisk while a job starts, then
 * slower, so an hour-long job costs hundreds of calls, not thousands.
 */
const POLL_MS = 1500;
const SLOW_POLL_MS = 5000;
const BRISK_FOR_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const active = (job: ProgressView | null) => job !== null && (job.phase === 'uploading' || job.phase === 'running');
/** Keep following after the last row is enriched until the API has written it into the sheet. */
const writing = (job: ProgressView | null) => job !== null && job.sheet !== null && job.sheet.pendingWrite > 0 && job.sheet.state === 'writing';

async function boot() {
  const app = $('#app');
  let state: SidebarState;
  try {
    state = await call('getSidebarState');
  } catch (err) {
    app.replaceChildren(h('div', { class: 'message error' }, (err as Error).message));
    return;
  }
  let job = state.job;
  let following = false;
  const panel = jobPanel({
    cancel: () => void act(() => call('cancelJob')),
    retry: (maxCostUsd) => void act(() => call('retryFlagged', maxCostUsd === undefined ? {} : { maxCostUsd })),
    dashboard: () =>
      void call('openDashboard').then(
        (d) => panel.say(`Opened the “${d.sheetName}” tab.`),
        (e: Error) => panel.say(e.message, 'error'),
      ),
    // A new job reads whichever tab is active now (the user may have moved on from the job's tab, or the
    // dashboard opened itself), as "Use active tab" does.
    newJob: () =>
      void call('inspectSheet', state.sheet.headerRow).then(
        (sheet) => {
          state = { ...state, sheet };
          job = null;
          render();
        },
        (e: Error) => panel.say(e.message, 'error'),
      ),
  });
  // The row inspector, kept across renders (what it shows stays): a lead run, or a plain row's detail, for any workspace.
  const inspector = inspectPanel({
    // A replayed row re-opens its job: follow it again if it is the one on screen.
    onReplayed: () =>
      void call('getProgress').then(
        (p) => {
          if (!job || !p || p.jobId !== job.jobId) return;
          job = p;
          panel.update(p);
          void follow();
        },
        () => undefined,
      ),
  });
  const gear = h('button', { class: 'link', title: 'Connection settings', 'data-testid': 'toggle-settings' }, 'Settings');
  let showSettings = !state.settings.keyHint;
  gear.onclick = () => {
    showSettings = !showSettings;
    render();
  };

  async function act(run: () => Promise<ProgressView>) {
    try {
      job = await run();
      panel.resetEta();
      render();
      void follow();
    } catch (err) {
      panel.say((err as Error).message, 'error');
    }
  }

  /** One loop at a time: upload while rows remain (each call a bounded execution), then poll until done and written. */
  async function follow() {
    if (following) return;
    following = true;
    const since = Date.now();
    try {
      while (job && (active(job) || writing(job))) {
        try {
          job = job.phase === 'uploading' ? await call('continueUpload') : ((await call('getProgress')) ?? null);
        } catch (err) {
          panel.say((err as Error).message, 'error');
          await sleep(POLL_MS * 4);
          continue;
        }
        if (job) panel.update(job);
        if (job?.phase !== 'uploading') await sleep(Date.now() - since < BRISK_FOR_MS ? POLL_MS : SLOW_POLL_MS);
      }
    } finally {
      following = false;
    }
  }

  async function start(plan: PlanInput) {
    job = await call('startJob', plan);
    panel.resetEta();
    render();
    void follow();
  }

  function render() {
    const parts: Node[] = [h('h1', {}, 'Cascade', h('span', { class: 'spacer' }), gear)];
    if (showSettings || !state.settings.keyHint) {
      parts.push(
        settingsPanel(state.settings, (s) => {
          state = { ...state, settings: s };
          showSettings = false;
          // Another key may be another workspace, with another pipeline (or none).
          forgetPipeline();
          render();
        }),
      );
    }
    if (state.settings.keyHint) {
      if (state.jobError) parts.push(h('div', { class: 'message error' }, state.jobError));
      if (job) {
        panel.update(job);
        parts.push(panel.el);
      } else {
        parts.push(setupPanel(state.sheet, start, pipelineInfo()));
      }
      parts.push(inspector.el);
    }
    app.replaceChildren(...parts);
  }

  render();
  void follow();
}

void boot();
