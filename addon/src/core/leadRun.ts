import { FIELDS, type Field, type FieldValue, type LeadRun, type LeadStepName, type StepAttempt } from '../../../shared/index.js';
import type { LeadFieldView, LeadStepView, LeadView } from '../contract.js';
import { formatDuration } from './eta.js';
import { isJudgementField, JUDGEMENT_STEPS, STEP_LABELS } from './leadFields.js';

/** A step's time: `340 ms`, `2.4 s`, `3 min`. */
export function formatMs(ms: number): string {
  if (!(ms >= 0)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  // Up to where one decimal would round to 60.0 s: from there minutes read better.
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)} s`;
  return formatDuration(ms);
}

/** A step's cost: `$0`, `$0.0004` (a model call costs fractions of a cent), `$0.12`. */
export function formatCost(usd: number): string {
  if (!(usd > 0)) return '$0';
  if (usd < 0.1) return `$${usd.toFixed(4).replace(/0+$/, '')}`;
  return `$${usd.toFixed(2)}`;
}

/** A field's value as the sheet shows it: lists joined, yes/no for booleans. */
export function valueText(v: FieldValue): string {
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

const record = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const isValue = (v: unknown): v is FieldValue =>
  typeof v === 'string' ||
  typeof v === 'boolean' ||
  (typeof v === 'number' && Number.isFinite(v)) ||
  (Array.isArray(v) && v.every((x) => typeof x === 'string'));

/** A lead field's value from the run's values, else from the step's own output (where the field's short name is the key). */
function pick(run: LeadRun, output: unknown, field: Field): FieldValue | undefined {
  const v = run.values[field];
  if (v !== undefined) return v;
  const o = record(output)[field.slice(field.indexOf('.') + 1)];
  return isValue(o) ? o : undefined;
}

/** Why a step was skipped or what it said, when its output is a sentence or carries one. */
function note(output: unknown): string | null {
  if (typeof output === 'string') return output || null;
  const o = record(output);
  for (const k of ['why', 'reason', 'message', 'note']) if (typeof o[k] === 'string' && o[k]) return o[k] as string;
  return null;
}

/** What a step made, in a few words: the score, the verdict, the owner, the CRM record. */
function detail(run: LeadRun, a: StepAttempt): string | null {
  const get = (f: Field) => {
    const v = pick(run, a.output, f);
    return v === undefined || v === '' ? undefined : valueText(v);
  };
  if (a.outcome === 'skipped') return note(a.output);
  if (a.outcome === 'failed') return null;
  switch (a.step) {
    case 'dedup': {
      const dup = get('lead.duplicateOf');
      return dup ? `duplicate of ${dup}` : null;
    }
    case 'score': {
      const s = get('lead.score');
      return s ? `score ${s}` : null;
    }
    case 'qualify': {
      const q = get('lead.qualified');
      return q ? `qualified: ${q}` : null;
    }
    case 'route': {
      const parts = [get('lead.owner') && `owner ${get('lead.owner')}`, get('lead.priority') && `priority ${get('lead.priority')}`].filter(Boolean);
      return parts.length ? parts.join(' · ') : null;
    }
    case 'deliver': {
      const id = get('lead.crmId');
      return id ? `CRM record ${id}` : null;
    }
    default:
      return null;
  }
}

/** The qualifier's reason: shown only for a verdict the model gave, and always as its judgement. */
function reason(run: LeadRun, a: StepAttempt): string | null {
  if (a.step !== 'qualify' || a.outcome !== 'done') return null;
  const r = pick(run, a.output, 'lead.reason');
  return r === undefined || r === '' ? null : valueText(r);
}

const isJudgementStep = (a: StepAttempt) => a.judgement === true || JUDGEMENT_STEPS.includes(a.step);

/**
 * A lead run as the row inspector shows it: each step reached (its latest
 * attempt, in run order) with its outcome, time, cost, who did it, what it
 * made or why it failed; the lead fields it wrote; and whether Replay has
 * something to resume (a failed step, and the run not already going again).
 */
export function leadView(run: LeadRun): LeadView {
  const attempts = new Map<LeadStepName, number>();
  for (const a of run.history) attempts.set(a.step, (attempts.get(a.step) ?? 0) + 1);
  const steps: LeadStepView[] = run.steps.map((a) => ({
    step: a.step,
    label: STEP_LABELS[a.step],
    outcome: a.outcome,
    attempts: Math.max(1, attempts.get(a.step) ?? 1),
    duration: formatMs(a.durationMs),
    cost: formatCost(a.costUsd),
    by: a.by,
    detail: detail(run, a),
    judgement: isJudgementStep(a),
    reason: reason(run, a),
    error: a.error?.message ?? null,
  }));
  const fields: LeadFieldView[] = (Object.keys(FIELDS) as Field[])
    .filter((f) => FIELDS[f].group === 'lead' && run.values[f] !== undefined && run.values[f] !== '')
    .map((f) => ({ field: f, label: FIELDS[f].label, value: valueText(run.values[f]!), judgement: isJudgementField(f) }));
  const failed = run.steps.find((a) => a.outcome === 'failed');
  const running = run.status === 'pending' || run.status === 'running';
  const total = (run.history.length ? run.history : run.steps).reduce((n, a) => n + a.costUsd, 0);
  return {
    id: run.id,
    jobId: run.jobId,
    key: run.key,
    status: run.status,
    running,
    summary: running ? 'Running…' : failed ? `Stopped at ${STEP_LABELS[failed.step]}` : run.steps.length ? 'Done' : 'Not started',
    steps,
    fields,
    cost: formatCost(total),
    failedStep: failed?.step ?? null,
    canReplay: failed !== undefined && !running,
    error: run.error?.message ?? null,
  };
}
