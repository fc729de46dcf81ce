import type { ProgressView } from '../contract.js';
import { etaMs, formatDuration, type Sample } from '../core/eta.js';
import { count, fill, h, usd } from './dom.js';

const PHASES: Record<ProgressView['phase'], string> = {
  uploading: 'Sending rows to Cascade…',
  running: 'Enriching…',
  done: 'Done',
  cancelled: 'Cancelled',
};

export interface JobActions {
  cancel(): void;
  /** Retry flagged rows (and resume a cancelled job), raising the cost cap when one is given. */
  retry(maxCostUsd?: number): void;
  dashboard(): void;
  newJob(): void;
}

/** Progress of the job: bar, counts, cost, ETA, and what can be done about it. */
export function jobPanel(actions: JobActions) {
  const phase = h('div', { 'data-testid': 'phase' });
  const barFill = h('div', { style: 'width:0%' });
  const bar = h('div', { class: 'bar', 'data-testid': 'progress-bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 }, barFill);
  const line = h('div', {});
  const stats = h('div', { class: 'stats' });
  const writing = h('div', { class: 'muted' });
  const cancel = h('button', { 'data-testid': 'cancel', onclick: () => actions.cancel() }, 'Cancel');
  // Rows stopped by the cost cap only go through with a higher one.
  const cap = h('input', { type: 'number', min: 0, step: '0.01', id: 'retry-cap', placeholder: 'new cost cap ($)' });
  const capRow = h('div', { class: 'row hidden' }, h('label', { for: 'retry-cap' }, 'New cap ($)'), cap);
  const retry = h(
    'button',
    { class: 'primary', 'data-testid': 'retry', onclick: () => actions.retry(cap.value === '' ? undefined : Number(cap.value)) },
    'Retry flagged',
  );
  const dashboard = h('button', { 'data-testid': 'dashboard', onclick: () => actions.dashboard() }, 'Dashboard');
  const again = h('button', { 'data-testid': 'new-job', onclick: () => actions.newJob() }, 'Set up another job');
  const summary = h('div', { class: 'message ok hidden', 'data-testid': 'summary' });
  const message = h('div', { class: 'message hidden', 'data-testid': 'job-message' });
  const el = h(
    'section',
    { id: 'job' },
    h('h2', {}, 'Job'),
    phase,
    bar,
    line,
    stats,
    writing,
    capRow,
    summary,
    h('div', { class: 'buttons' }, cancel, retry, dashboard, again),
    message,
  );
  const samples: Sample[] = [];

  function update(job: ProgressView) {
    const c = job.counts;
    const pct = job.total > 0 ? Math.floor((100 * job.done) / job.total) : 0;
    samples.push({ at: Date.now(), done: job.done });
    const active = job.phase === 'uploading' || job.phase === 'running';
    const eta = active ? etaMs(samples, job.total) : undefined;
    phase.textContent = PHASES[job.phase];
    barFill.style.width = `${pct}%`;
    bar.setAttribute('aria-valuenow', String(pct));
    line.replaceChildren(
      h('b', { 'data-testid': 'done' }, count(job.done)),
      ' / ',
      h('span', { 'data-testid': 'total' }, count(job.total)),
      ` rows · ${pct}%`,
      eta !== undefined && eta > 0 ? ` · about ${formatDuration(eta)} left` : '',
      job.phase === 'uploading' ? ` · ${count(job.uploaded)} sent` : '',
    );
    fill(
      stats,
      h('div', {}, 'Matched ', h('b', { 'data-testid': 'matched' }, count(c.matched))),
      h('div', {}, 'Partial ', h('b', { 'data-testid': 'partial' }, count(c.partial))),
      h('div', {}, 'No match ', h('b', { 'data-testid': 'no-match' }, count(c.no_match))),
      h('div', { class: job.flagged > 0 ? 'flagged' : '' }, 'Failed ', h('b', { 'data-testid': 'failed' }, count(job.flagged))),
      h('div', {}, 'Invalid ', h('b', { 'data-testid': 'invalid' }, count(c.invalid_input))),
      h('div', {}, 'Cost ', h('b', { 'data-testid': 'cost' }, usd(job.costUsd))),
      job.maxCostUsd !== null ? h('div', {}, 'Cap ', h('b', {}, usd(job.maxCostUsd))) : null,
    );
    const s = job.sheet;
    writing.textContent = s
      ? `Written to the sheet: ${count(s.written)}${s.pendingWrite ? ` · ${count(s.pendingWrite)} waiting` : ''}${s.orphaned ? ` · ${count(s.orphaned)} rows deleted meanwhile` : ''}${s.lastError ? ` · ${s.lastError.message}` : ''}`
      : '';
    // Each control shows only in the state where it does something: Cancel while the job runs, Retry when
    // there are flagged rows (or a cancelled job to resume), a new job once this one has stopped.
    cancel.classList.toggle('hidden', !active);
    // Retry is also how a cancelled job resumes, flagged rows or not.
    const resume = job.phase === 'cancelled';
    retry.classList.toggle('hidden', active || (!resume && job.flagged === 0));
    retry.textContent = resume ? `Resume${job.flagged ? ` and retry ${count(job.flagged)} flagged` : ''}` : `Retry flagged (${count(job.flagged)})`;
    capRow.classList.toggle('hidden', active || c.budget_exhausted === 0);
    retry.dataset.flagged = String(job.flagged);
    again.classList.toggle('hidden', active);
    // Nothing left to retry: the next step is a new job, so it is the primary button.
    again.classList.toggle('primary', job.phase === 'done' && job.flagged === 0);
    const pending = s ? s.pendingWrite : 0;
    summary.className = `message ${job.flagged > 0 ? 'error' : 'ok'}${job.phase === 'done' ? '' : ' hidden'}`;
    summary.textContent =
      job.flagged > 0
        ? `${count(job.flagged)} row${job.flagged === 1 ? '' : 's'} flagged: the status column says why. Retry flagged asks again; answers already bought are free.`
        : `All ${count(job.total)} rows done, none flagged${pending ? `; ${count(pending)} still being written` : ''}.`;
  }

  function say(text: string, kind: 'error' | '' = '') {
    message.textContent = text;
    message.className = `message ${kind}`;
  }

  return { el, update, say, resetEta: () => samples.splice(0) };
}
