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

/** A lead field's value from the run's values, else from the step's own output (keyed by the field, or its short name). */
function pick(run: LeadRun, output: unknown, field: Field): FieldValue | undefined {
  const v = run.values[field];
  if (v !== undefined) return v;
  const out = record(output);
  const o = out[field] ?? out[field.slice(field.indexOf('.') + 1)];
  return isValue(o) ? o : undefined;
}

/** The score's rules that held, as the score step lists them (`{ breakdown: [{ rule, points }] }`): `ICP +30, EU −10`. */
function breakdown(output: unknown): string | null {
  const list = record(output).breakdown;
  if (!Array.isArray(list)) return null;
  const parts = list
    .map(record)
    .filter((b) => typeof b.rule === 'string' && typeof b.points === 'number')
    .map((b) => `${b.rule} ${(b.points as number) < 0 ? '−' : '+'}${Math.abs(b.points as number)}`);
  if (parts.length === 0) return null;
  return parts.length > 4 ? `${parts.slice(0, 4).join(', ')}, …` : parts.join(', ');
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
      return dup ? `duplicate of ${dup}` : record(a.output).first === true ? 'first seen' : null;
    }
    case 'score': {
      const s = get('lead.score');
      const rules = breakdown(a.output);
      return s ? `score ${s}${rules ? ` (${rules})` : ''}` : null;
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

/** A step whose output is the model's: marked by the API, or the qualifier's verdict (not a skip, whose note is a rule's). */
const isJudgementStep = (a: StepAttempt) => a.judgement === true || (a.outcome === 'done' && JUDGEMENT_STEPS.includes(a.step));

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
  // The verdict and reason are the model's only when it gave them: a lead under the score floor is not sent to it, and
  // its "not qualified" and reason are the rule's. Until the qualifier has run, assume the model's (marked, the safe way).
  const qualify = run.steps.find((a) => a.step === 'qualify');
  const judged = !qualify || (qualify.outcome === 'done' && qualify.judgement !== false);
  const fields: LeadFieldView[] = (Object.keys(FIELDS) as Field[])
    .filter((f) => FIELDS[f].group === 'lead' && run.values[f] !== undefined && run.values[f] !== '')
    .map((f) => {
      const judgement = isJudgementField(f) && judged;
      const label: string = FIELDS[f].label;
      return { field: f, label: judgement ? label : label.replace(/ \(AI\)$/, ''), value: valueText(run.values[f]!), judgement };
    });
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
