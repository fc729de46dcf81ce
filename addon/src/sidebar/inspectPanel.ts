import type { LeadStepView, LeadView, RowDetailView, RowInspection, RowValueView } from '../contract.js';
import { aiBadge } from './aiBadge.js';
import { fill, h } from './dom.js';
import { call } from './run.js';

/** After Replay or Retry, the row is followed until it settles: a bounded number of looks, each an Apps Script execution. */
const FOLLOW_MS = 1500;
const FOLLOW_LOOKS = 80;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stepItem(s: LeadStepView): HTMLElement {
  return h(
    'li',
    { class: `step ${s.outcome}`, 'data-step': s.step, 'data-outcome': s.outcome, 'data-testid': `step-${s.step}` },
    h(
      'div',
      { class: 'step-head' },
      h('b', {}, s.label),
      h('span', { class: `pill ${s.outcome}`, 'data-testid': 'step-outcome' }, s.outcome),
      s.judgement ? aiBadge() : null,
      h('span', { class: 'spacer' }),
      h('span', { class: 'muted', 'data-testid': 'step-figures' }, `${s.duration} · ${s.cost}${s.attempts > 1 ? ` · attempt ${s.attempts}` : ''}`),
    ),
    s.by ? h('div', { class: 'muted', 'data-testid': 'step-by' }, `by ${s.by}`) : null,
    s.detail ? h('div', { 'data-testid': 'step-detail' }, s.detail) : null,
    // The qualifier's reason is the model's judgement: said so in words, not only by the badge.
    s.reason ? h('div', { class: 'reason', 'data-testid': 'step-reason' }, aiBadge(), ' Model’s judgement: ', h('q', {}, s.reason)) : null,
    s.error ? h('div', { class: 'step-error', 'data-testid': 'step-error' }, s.error) : null,
  );
}

/** A value, then where it came from: the provider by its label, from the cache or bought, a prediction said in words. */
function valueItem(v: RowValueView): HTMLElement {
  const source = [
    v.provider,
    v.cached ? 'from the cache' : null,
    v.predicted ? `prediction${v.confidence ? `, ${v.confidence} confident` : ''}, not a verified match` : null,
  ].filter(Boolean);
  return h(
    'div',
    { class: 'lead-field', 'data-field': v.field, 'data-testid': 'row-value', 'data-cached': String(v.cached), 'data-predicted': String(v.predicted) },
    h('span', { class: 'muted' }, v.label),
    h(
      'span',
      {},
      h('span', { 'data-testid': 'row-value-text' }, v.value),
      v.predicted ? aiBadge() : null,
      h('div', { class: 'muted source', 'data-testid': 'row-value-source', title: v.fetchedAt ? `answered ${v.fetchedAt}` : undefined }, source.join(' · ')),
    ),
  );
}

/**
 * "Inspect row": what Cascade knows of the row selected in the sheet. For a
 * row of a job with lead fields, its lead run — each step's outcome, time,
 * cost, who did it and why it failed, the qualifier's reason marked as the
 * model's judgement — and Replay when a step failed, which resumes the run
 * there. For a row of a plain enrichment job, the detail its short status
 * cell leaves out — each value with its provider's label, whether it came
 * from the cache, predictions marked as such, what is missing and the flag's
 * whole message — and Retry for a flagged row. Either follows the row until
 * it settles.
 */
export function inspectPanel(opts: { onReplayed(): void }) {
  const button = h('button', { 'data-testid': 'inspect-row', title: 'Show what Cascade found for the row selected in the sheet' }, 'Inspect selected row');
  const result = h('div', { 'data-testid': 'inspect-result' });
  const message = h('div', { class: 'message error hidden', 'data-testid': 'inspect-message' });
  const el = h(
    'section',
    { id: 'inspect' },
    h('h2', {}, 'Inspect row'),
    h('div', { class: 'row' }, h('span', { class: 'muted', style: 'flex:1' }, 'Select a row in the sheet, then'), button),
    result,
    message,
  );
  let title = '';
  let seq = 0;

  const say = (text: string | null) => {
    message.textContent = text ?? '';
    message.classList.toggle('hidden', !text);
  };

  function showLead(lead: LeadView) {
    const replay = h(
      'button',
      { class: 'primary', 'data-testid': 'replay-lead' },
      `Replay from ${lead.steps.find((s) => s.step === lead.failedStep)?.label ?? 'the failed step'}`,
    );
    replay.onclick = () => void doReplay(lead, replay);
    fill(
      result,
      h('div', { class: 'inspect-title', 'data-testid': 'inspect-title' }, title),
      h(
        'div',
        { 'data-testid': 'inspect-summary', 'data-status': lead.status },
        h('b', {}, lead.summary),
        h('span', { class: 'muted' }, ` · ${lead.cost} in all`),
      ),
      lead.fields.length
        ? h(
            'div',
            { class: 'lead-fields', 'data-testid': 'lead-fields' },
            ...lead.fields.map((f) =>
              h(
                'div',
                { class: 'lead-field', 'data-field': f.field },
                h('span', { class: 'muted' }, f.label),
                h('span', {}, f.value, f.judgement ? aiBadge() : null),
              ),
            ),
          )
        : null,
      h('ol', { class: 'steps', 'data-testid': 'lead-steps' }, ...lead.steps.map(stepItem)),
      lead.error && !lead.steps.some((s) => s.error === lead.error) ? h('div', { class: 'step-error' }, lead.error) : null,
      lead.canReplay ? h('div', { class: 'buttons' }, replay) : null,
    );
  }

  function showRow(d: RowDetailView) {
    const retry = h('button', { class: 'primary', 'data-testid': 'retry-row' }, 'Retry this row');
    retry.onclick = () => void doRetry(d, retry);
    fill(
      result,
      h('div', { class: 'inspect-title', 'data-testid': 'inspect-title' }, title),
      h('div', { 'data-testid': 'inspect-summary', 'data-status': d.status, 'data-job': d.jobId, 'data-key': d.key }, h('b', {}, d.summary)),
      d.values.length ? h('div', { class: 'lead-fields row-values', 'data-testid': 'row-values' }, ...d.values.map(valueItem)) : null,
      d.missing.length && !d.running
        ? h('div', { class: 'row-missing', 'data-testid': 'row-missing' }, h('span', { class: 'muted' }, 'Missing: '), d.missing.map((m) => m.label).join(', '))
        : null,
      d.error ? h('div', { class: 'step-error', 'data-testid': 'row-error', 'data-code': d.error.code }, d.error.message) : null,
      d.hint ? h('div', { class: 'muted', 'data-testid': 'row-hint' }, d.hint) : null,
      d.canRetry ? h('div', { class: 'buttons' }, retry) : null,
    );
  }

  function show(insp: RowInspection) {
    title =
      insp.row === null
        ? `“${insp.sheetName}”`
        : `Row ${insp.row} of “${insp.sheetName}”${insp.selectedRows > 1 ? ` (the first of ${insp.selectedRows} selected)` : ''}`;
    if (insp.lead) showLead(insp.lead);
    else if (insp.detail) showRow(insp.detail);
    else
      fill(
        result,
        h('div', { class: 'inspect-title', 'data-testid': 'inspect-title' }, title),
        h('div', { class: 'message', 'data-testid': 'inspect-note' }, insp.note),
      );
  }

  async function inspect() {
    const mine = ++seq;
    button.disabled = true;
    say(null);
    try {
      const insp = await call('inspectRow');
      if (mine === seq) show(insp);
    } catch (err) {
      if (mine === seq) say((err as Error).message);
    } finally {
      button.disabled = false;
    }
  }

  /**
   * Sends a row to run again (`start`), shows what comes back, then follows
   * it (`look`) while it runs, and one look more if the first answer still
   * showed the old failure (`stale`: the re-queue not seen yet).
   */
  async function rerun<V extends { running: boolean }>(
    button: HTMLButtonElement,
    start: () => Promise<V>,
    look: () => Promise<V>,
    show: (v: V) => void,
    stale: (v: V) => boolean,
  ) {
    const mine = ++seq;
    button.disabled = true;
    say(null);
    try {
      let now = await start();
      if (mine !== seq) return;
      show(now);
      opts.onReplayed();
      for (let i = 0; i < FOLLOW_LOOKS && (now.running || (i === 0 && stale(now))); i++) {
        await sleep(FOLLOW_MS);
        if (mine !== seq) return;
        now = await look();
        if (mine !== seq) return;
        show(now);
      }
    } catch (err) {
      if (mine === seq) {
        say((err as Error).message);
        button.disabled = false;
      }
    }
  }

  const doReplay = (lead: LeadView, replay: HTMLButtonElement) =>
    rerun(
      replay,
      () => call('replayLead', { jobId: lead.jobId, key: lead.key }),
      () => call('inspectLead', { jobId: lead.jobId, key: lead.key }),
      showLead,
      (v) => v.canReplay,
    );

  const doRetry = (d: RowDetailView, retry: HTMLButtonElement) =>
    rerun(
      retry,
      () => call('retryRow', { jobId: d.jobId, key: d.key }),
      () => call('inspectResult', { jobId: d.jobId, key: d.key }),
      showRow,
      (v) => v.canRetry,
    );

  button.onclick = () => void inspect();
  return { el };
}
