import { FIELDS, type Field, type PipelineInfo } from '../../../shared/index.js';
import type { EstimateView, InputColumns, InputKey, PlanInput, SheetView } from '../contract.js';
import { proposeOutputs } from '../core/columns.js';
import { FIELD_PRESETS, outputSummary, shortSample } from '../core/fieldPresets.js';
import { count, fill, h, usd } from './dom.js';
import { qualifyGroup, type QualifyGroup } from './qualifyGroup.js';
import { call } from './run.js';

const INPUT_LABELS: [InputKey, string][] = [
  ['email', 'Email'],
  ['domain', 'Domain / website'],
  ['linkedinUrl', 'LinkedIn URL'],
  ['company', 'Company'],
  ['fullName', 'Full name'],
  ['firstName', 'First name'],
  ['lastName', 'Last name'],
];

const DEFAULT_FIELDS: Field[] = ['company.name', 'company.industry', 'company.employees'];

/** Re-estimating on every tick would spend a request per click; wait until the user pauses. */
const ESTIMATE_DELAY_MS = 400;

/**
 * Choosing what to enrich: the input columns (proposed from headers and
 * values), the fields (presets, then every field in two folded lists, then
 * the Qualify group when the workspace has a lead pipeline), the columns
 * they will land in on one line, and a footer that stays in view with the
 * estimate, the cost cap and "Enrich".
 */
export function setupPanel(initial: SheetView, onStart: (plan: PlanInput) => Promise<void>, pipeline: Promise<PipelineInfo>): HTMLElement {
  let sheet = initial;
  let inputs: InputColumns = { ...sheet.proposed };
  const fields = new Set<Field>(DEFAULT_FIELDS);
  let estimateTimer: ReturnType<typeof setTimeout> | undefined;
  let estimateSeq = 0;

  const sheetLine = h('div', { class: 'muted', style: 'flex:1', 'data-testid': 'sheet-line' });
  const headerRow = h('input', { type: 'number', min: 1, value: sheet.headerRow, id: 'header-row', style: 'width:60px' });
  const inputBox = h('div', { id: 'inputs' });
  const presetBox = h('div', { class: 'presets' });
  // Kept across re-renders, so a list the user opened stays open as boxes are ticked.
  const lists = {
    company: h('details', { 'data-testid': 'fields-company' }),
    person: h('details', { 'data-testid': 'fields-person' }),
  };
  const outputLine = h('div', { class: 'muted outputs', 'data-testid': 'outputs' });
  const fieldBox = h('div', { id: 'fields' }, lists.company, lists.person);
  // Filled once GET /v1/pipeline says the workspace has a pipeline; empty (and nothing sent about it) otherwise.
  const qualifyBox = h('div', {});
  let qualify: QualifyGroup | undefined;
  const estimateBox = h('div', { class: 'message', 'data-testid': 'estimate' }, 'Estimating…');
  const cap = h('input', { type: 'number', min: 0, step: '0.01', id: 'cost-cap', placeholder: 'no cap' });
  const enrich = h('button', { class: 'primary', 'data-testid': 'enrich' }, 'Enrich');
  const error = h('div', { class: 'message error hidden', 'data-testid': 'setup-error' });

  const plan = (): PlanInput => ({
    sheetName: sheet.name,
    headerRow: sheet.headerRow,
    inputs,
    fields: [...fields],
    ...(cap.value !== '' ? { maxCostUsd: Number(cap.value) } : {}),
    ...(qualify?.pipeline() ? { pipeline: qualify.pipeline() } : {}),
  });

  function renderInputs() {
    inputBox.replaceChildren(
      ...INPUT_LABELS.map(([key, label]) => {
        const select = h(
          'select',
          { id: `input-${key}`, 'data-input': key },
          h('option', { value: '' }, '—'),
          // Letter and header only: a select is narrow, and a sample in it would be cut wherever the box ends.
          ...sheet.columns.map((c) =>
            h('option', { value: c.column, selected: inputs[key] === c.column, title: c.sample[0] ?? '' }, `${c.letter} · ${c.header || '(no header)'}`),
          ),
        );
        select.onchange = () => {
          const next = { ...inputs };
          if (select.value) next[key] = Number(select.value);
          else delete next[key];
          inputs = next;
          renderInputs();
          renderFields();
          scheduleEstimate();
        };
        // The chosen column's first value under it, cut at a word boundary, so the user recognises the column.
        const sample = sheet.columns.find((c) => c.column === inputs[key])?.sample[0];
        return h(
          'div',
          {},
          h('div', { class: 'row' }, h('label', { for: `input-${key}` }, label), select),
          sample ? h('div', { class: 'sample muted', 'data-testid': `sample-${key}`, title: sample }, `e.g. ${shortSample(sample, 24)}`) : null,
        );
      }),
    );
  }

  function toggle(f: Field, on: boolean) {
    if (on) fields.add(f);
    else fields.delete(f);
  }

  function renderFields() {
    const { outputs, status } = proposeOutputs(
      sheet.columns.map((c) => c.header),
      [...fields],
      Object.values(inputs),
    );
    presetBox.replaceChildren(
      ...FIELD_PRESETS.map((p) => {
        const all = p.fields.every((f) => fields.has(f));
        // A preset adds its fields; pressed again (all of them ticked) it takes them away.
        return h(
          'button',
          {
            class: `chip${all ? ' on' : ''}`,
            'aria-pressed': String(all),
            'data-testid': `preset-${p.id}`,
            title: p.fields.map((f) => FIELDS[f].label).join(', '),
            onclick: () => {
              for (const f of p.fields) toggle(f, !all);
              renderFields();
              scheduleEstimate();
            },
          },
          p.label,
        );
      }),
    );
    for (const name of ['company', 'person'] as const) {
      const all = (Object.keys(FIELDS) as Field[]).filter((f) => FIELDS[f].group === name);
      const chosen = all.filter((f) => fields.has(f)).length;
      lists[name].replaceChildren(
        h('summary', {}, `${name === 'company' ? 'Company' : 'Person'} fields`, h('span', { class: 'muted' }, ` · ${chosen} of ${all.length}`)),
        h(
          'div',
          { class: 'field-grid' },
          ...all.map((f) => {
            const box = h('input', { type: 'checkbox', checked: fields.has(f), 'data-field': f, id: `field-${f}` });
            box.onchange = () => {
              toggle(f, box.checked);
              renderFields();
              scheduleEstimate();
            };
            return h('div', { class: 'field' }, box, h('label', { for: `field-${f}` }, FIELDS[f].label));
          }),
        ),
      );
    }
    outputLine.textContent = fields.size
      ? `Writes ${outputSummary(outputs)} · status ${status.letter}${status.exists ? '' : ' (new)'}`
      : 'Tick at least one field.';
  }

  /** The shown figures are for the previous choice from now on: Enrich never runs on them. */
  function markStale() {
    enrich.disabled = true;
    estimateBox.className = 'message';
    estimateBox.textContent = 'Estimating…';
  }

  function scheduleEstimate() {
    clearTimeout(estimateTimer);
    estimateSeq++;
    markStale();
    estimateTimer = setTimeout(runEstimate, ESTIMATE_DELAY_MS);
  }

  async function runEstimate() {
    const seq = ++estimateSeq;
    markStale();
    try {
      const est = await call('estimate', plan());
      if (seq !== estimateSeq) return;
      showEstimate(est);
      enrich.disabled = est.rows === 0;
    } catch (err) {
      if (seq !== estimateSeq) return;
      estimateBox.className = 'message error';
      estimateBox.textContent = (err as Error).message;
    }
  }

  function showEstimate(e: EstimateView) {
    const approx = e.sampled < e.rows ? '≈ ' : '';
    // Two short lines: the footer holding them stays in view, so it must stay small.
    fill(
      estimateBox,
      h(
        'div',
        {},
        h('b', { 'data-testid': 'estimate-rows' }, count(e.rows)),
        ' rows · ',
        h('b', { 'data-testid': 'estimate-cached' }, `${approx}${count(e.cached)}`),
        ' cached (free)',
        e.invalid > 0 ? ` · ${approx}${count(e.invalid)} invalid` : '',
      ),
      h(
        'div',
        {},
        'About ',
        h('b', { 'data-testid': 'estimate-cost' }, usd(e.expectedCostUsd)),
        ` · at most ${usd(e.maxCostUsd)}`,
        e.sampled < e.rows ? h('span', { class: 'muted' }, ` · from ${count(e.sampled)} sampled`) : null,
        // The pipeline's own enrichment and model calls are paid as they run; no dry run prices them.
        e.pipelineNotPriced ? h('span', { class: 'muted', 'data-testid': 'estimate-qualify' }, ' · Qualify not included') : null,
      ),
    );
    enrich.textContent = `Enrich ${count(e.rows)} rows`;
  }

  // Also how the user points the sidebar at another tab: it reads whichever tab is active.
  const reread = async () => {
    try {
      sheet = await call('inspectSheet', Number(headerRow.value));
      inputs = { ...sheet.proposed };
      refresh();
    } catch (err) {
      showError(err as Error);
    }
  };
  headerRow.onchange = reread;
  const reload = h('button', { class: 'link', 'data-testid': 'reread', title: 'Read the active tab again', onclick: () => void reread() }, 'Use active tab');
  cap.onchange = () => scheduleEstimate();
  enrich.onclick = async () => {
    enrich.disabled = true;
    error.classList.add('hidden');
    try {
      await onStart(plan());
    } catch (err) {
      showError(err as Error);
      enrich.disabled = false;
    }
  };
  function showError(err: Error) {
    error.textContent = err.message;
    error.classList.remove('hidden');
  }
  function refresh() {
    sheetLine.textContent = `Tab “${sheet.name}” · ${count(sheet.dataRows)} rows below the header`;
    renderInputs();
    renderFields();
    void runEstimate();
  }
  refresh();
  void pipeline.then((info) => {
    if (!info.configured) return;
    qualify = qualifyGroup(info, fields, () => {
      renderFields();
      scheduleEstimate();
    });
    qualifyBox.replaceChildren(qualify.el);
  });

  return h(
    'section',
    { id: 'setup' },
    h('div', { class: 'row' }, sheetLine, reload),
    h('div', { class: 'row' }, h('label', { for: 'header-row' }, 'Header row'), headerRow),
    h('h2', {}, 'Input columns'),
    inputBox,
    h('h2', {}, 'Fields'),
    presetBox,
    fieldBox,
    qualifyBox,
    outputLine,
    // Sticky: however long the lists above, the estimate and Enrich stay on screen.
    h(
      'div',
      { class: 'footer', 'data-testid': 'setup-footer' },
      estimateBox,
      h('div', { class: 'row' }, h('label', { for: 'cost-cap' }, 'Cost cap ($)'), cap, enrich),
      error,
    ),
  );
}
