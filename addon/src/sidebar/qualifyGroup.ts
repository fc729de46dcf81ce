import type { Field, LeadField, PipelineInfo } from '../../../shared/index.js';
import type { PlanInput } from '../contract.js';
import { pipelineSteps, qualifyFields, STEP_LABELS, targetsLabel } from '../core/leadFields.js';
import { aiBadge } from './aiBadge.js';
import { fill, h } from './dom.js';

export interface QualifyGroup {
  el: HTMLElement;
  /** What the plan says about the pipeline's effects: only with lead fields ticked, each off unless turned on. */
  pipeline(): PlanInput['pipeline'];
  render(): void;
}

/**
 * The setup panel's Qualify group, shown when the workspace has a lead
 * pipeline: a checkbox per lead field (ticked into the same field set as the
 * enrichment fields, so they get columns like any field), the steps the
 * pipeline runs, and, once a lead field is ticked, the two effects it may
 * have outside the sheet — writing to the CRM and telling owners — each off
 * until turned on, and absent where the workspace has no target for it.
 */
export function qualifyGroup(info: PipelineInfo, fields: Set<Field>, onChange: () => void): QualifyGroup {
  let deliver = false;
  let notify = false;
  const el = h('div', { id: 'qualify', 'data-testid': 'qualify' });
  const leadTicked = () => qualifyFields(info).some((q) => fields.has(q.field));

  function toggle(id: 'deliver' | 'notify', text: string, on: boolean, set: (v: boolean) => void) {
    const box = h('input', { type: 'checkbox', id: `pipeline-${id}`, checked: on, 'data-testid': `pipeline-${id}` });
    box.onchange = () => set(box.checked);
    return h('div', { class: 'field toggle' }, box, h('label', { for: `pipeline-${id}` }, text));
  }

  function render() {
    const list = qualifyFields(info);
    const any = leadTicked();
    if (!any) {
      deliver = false;
      notify = false;
    }
    fill(
      el,
      h('h2', {}, 'Qualify'),
      h('div', { class: 'muted', 'data-testid': 'pipeline-steps' }, `Runs ${pipelineSteps(info)}`),
      h(
        'div',
        { class: 'field-grid' },
        ...list.map((q) => {
          const box = h('input', {
            type: 'checkbox',
            checked: q.available && fields.has(q.field),
            disabled: !q.available,
            'data-field': q.field,
            id: `field-${q.field}`,
          });
          box.onchange = () => {
            if (box.checked) fields.add(q.field);
            else fields.delete(q.field as LeadField);
            render();
            onChange();
          };
          const title = q.available
            ? q.judgement
              ? "A model's judgement, not a found fact"
              : ''
            : `Needs the ${STEP_LABELS[q.step]} step, which this workspace's pipeline does not run`;
          return h(
            'div',
            { class: `field${q.available ? '' : ' unavailable'}`, title },
            box,
            // The catalogue's label, as the column will be headed: the judgement fields' say "(AI)" themselves.
            h('label', { for: `field-${q.field}`, class: q.judgement ? 'judgement' : '' }, q.label),
          );
        }),
      ),
      h('div', { class: 'muted', 'data-testid': 'judgement-note' }, aiBadge(), ' (AI) fields are a model’s judgement, not found facts.'),
      any && info.deliverTo.length > 0
        ? toggle('deliver', `Write to CRM (${targetsLabel(info.deliverTo)})`, deliver, (v) => {
            deliver = v;
          })
        : null,
      any && info.notifyTo.length > 0
        ? toggle('notify', `Notify owners (${targetsLabel(info.notifyTo)})`, notify, (v) => {
            notify = v;
          })
        : null,
    );
  }
  render();

  return {
    el,
    render,
    pipeline: () => (leadTicked() ? { deliver: deliver && info.deliverTo.length > 0, notify: notify && info.notifyTo.length > 0 } : undefined),
  };
}
