import { FIELDS, type Field } from '../../../shared/index.js';
import type { EstimateView, InputColumns, InputKey, PlanInput, SheetView } from '../contract.js';
import { proposeOutputs } from '../core/columns.js';
import { count, fill, h, usd } from './dom.js';
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
 * values), the fields grouped by company and person with the column each
 * will land in, then the estimate and a cost cap before "Enrich".
 */
export function setupPanel(initial: SheetView, onStart: (plan: PlanInput) => Promise<void>): HTMLElement {
  let sheet = initial;
  let inputs: InputColumns = { ...sheet.proposed };
  const fields = new Set<Field>(DEFAULT_FIELDS);
  let estimateTimer: ReturnType<typeof setTimeout> | undefined;
  let estimateSeq = 0;

  const sheetLine = h('div', { class: 'muted', style: 'flex:1', 'data-testid': 'sheet-line' });
  const headerRow = h('input', { type: 'number', min: 1, value: sheet.headerRow, id: 'header-row', style: 'width:60px' });
  const inputBox = h('div', { id: 'inputs' });
  const fieldBox = h('div', { id: 'fields' });
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
  });

  function renderInputs() {
    inputBox.replaceChildren(
      ...INPUT_LABELS.map(([key, label]) => {
        const select = h(
          'select',
          { id: `input-${key}`, 'data-input': key },
          h('option', { value: '' }, '—'),
          ...sheet.columns.map((c) => h('option', { value: c.column, selected: inputs[key] === c.column }, `${c.letter} · ${c.header || '(no header)'}${c.sample[0] ? ` — ${c.sample[0]}` : ''}`)),
        );
        select.onchange = () => {
          const next = { ...inputs };
          if (select.value) next[key] = Number(select.value);
          else delete next[key];
          inputs = next;
          renderFields();
          scheduleEstimate();
        };
        return h('div', { class: 'row' }, h('label', { for: `input-${key}` }, label), select);
      }),
    );
  }

  function renderFields() {
    const { outputs, status } = proposeOutputs(
      sheet.columns.map((c) => c.header),
      [...fields],
      Object.values(inputs),
    );
    const group = (name: 'company' | 'person') =>
      h(
        'div',
        {},
        h('h2', {}, name === 'company' ? 'Company' : 'Person'),
        ...(Object.keys(FIELDS) as Field[])
          .filter((f) => FIELDS[f].group === name)
          .map((f) => {
            const box = h('input', { type: 'checkbox', checked: fields.has(f), 'data-field': f, id: `field-${f}` });
            box.onchange = () => {
              if (box.checked) fields.add(f);
              else fields.delete(f);
              renderFields();
              scheduleEstimate();
            };
            const out = outputs[f];
            return h(
              'div',
              { class: 'field' },
              box,
              h('label', { for: `field-${f}` }, FIELDS[f].label),
              out ? h('span', { class: 'to' }, `→ ${out.letter}${out.exists ? '' : ' (new)'}`) : null,
            );
          }),
      );
    fieldBox.replaceChildren(group('company'), group('person'), h('div', { class: 'muted' }, `Status and flags → ${status.letter} “${status.header}”`));
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
    fill(estimateBox, 
      h('div', {}, h('b', { 'data-testid': 'estimate-rows' }, count(e.rows)), ' rows to enrich'),
      h('div', {}, h('b', { 'data-testid': 'estimate-cached' }, `${approx}${count(e.cached)}`), ' already cached (free)'),
      e.invalid > 0 ? h('div', {}, `${approx}${count(e.invalid)} will be flagged as invalid input`) : null,
      h('div', {}, 'Estimated cost ', h('b', { 'data-testid': 'estimate-cost' }, usd(e.expectedCostUsd)), ` (at most ${usd(e.maxCostUsd)})`),
      e.sampled < e.rows ? h('div', { class: 'muted' }, `From an even sample of ${count(e.sampled)} rows.`) : null,
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

  return h(
    'section',
    { id: 'setup' },
    h('div', { class: 'row' }, sheetLine, reload),
    h('div', { class: 'row' }, h('label', { for: 'header-row' }, 'Header row'), headerRow),
    h('h2', {}, 'Input columns'),
    inputBox,
    fieldBox,
    h('h2', {}, 'Before running'),
    estimateBox,
    h('div', { class: 'row' }, h('label', { for: 'cost-cap' }, 'Cost cap ($)'), cap),
    h('div', { class: 'buttons' }, enrich),
    error,
  );
}
