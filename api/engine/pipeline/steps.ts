import { leadId, type FieldValue, type LeadField, type LeadStepName, type RowFlagCode } from '../../../shared/index.js';
import type { Owner } from '../../config/pipeline.js';
import type { ContactWrite } from '../../effects/hubspot.js';
import type { LeadNotice } from '../../effects/slack.js';
import type { FieldValues } from '../../providers/types.js';
import type { LeadsStore } from '../../storage/leads.js';
import type { Caller, StepContext } from '../caller.js';
import type { NormalizedInput } from '../normalize.js';
import type { RowState } from '../rowState.js';
import type { Outbox } from './outbox.js';
import { targetOf, type EffectKind, type Pipeline } from './pipelines.js';
import { ownerAt, priorityFor, ruleFor } from './route.js';
import { scoreLead } from './score.js';

/** One lead as its steps see it. */
export interface Lead {
  workspace: string;
  jobId: string;
  seq: number;
  key: string;
  source: string;
  input: NormalizedInput;
  state: RowState;
  pipeline: Pipeline;
  /** Whether this job's leads are written to the CRM and announced (sheet jobs: only when the user said so). */
  effects: { deliver: boolean; notify: boolean };
  ctx: StepContext;
}

/** How a step ended. A step that is `done` or `skipped` is checkpointed and never runs again for this lead. */
export type StepEnd =
  | {
      outcome: 'done' | 'skipped';
      output: unknown;
      values?: Partial<Record<LeadField, FieldValue>>;
      by?: string;
      costUsd?: number;
      /** The values are a model's judgement, marked so wherever they show. */
      judgement?: boolean;
    }
  | { outcome: 'failed'; code: RowFlagCode; message: string; transient: boolean; by?: string; output?: unknown }
  | { outcome: 'stop'; kind: 'budget_exhausted' | 'cancelled' };

export interface StepDeps {
  caller: Caller;
  leads: LeadsStore;
  outbox: Outbox;
}

type Step = (deps: StepDeps, lead: Lead) => Promise<StepEnd>;

const skipped = (why: string): StepEnd => ({ outcome: 'skipped', output: { why } });
const scoreOf = (lead: Lead) => lead.state.values['lead.score'] as number | undefined;
const text = (v: FieldValue | undefined): string | null => (v === undefined ? null : Array.isArray(v) ? v.join(', ') : String(v));

const score: Step = async (_deps, lead) => {
  const rules = lead.pipeline.config.score?.rules;
  if (!rules) return skipped('no score rules');
  const scored = scoreLead(rules, { values: lead.state.values });
  return { outcome: 'done', output: scored, values: { 'lead.score': scored.score }, by: 'score rules' };
};

const qualify: Step = async ({ caller }, lead) => {
  const q = lead.pipeline.config.qualify;
  const qualifier = lead.pipeline.qualifier;
  if (!q || !qualifier) return skipped('no qualifier');
  const s = scoreOf(lead);
  if (s !== undefined && s < q.minScore) {
    const reason = `Not sent to the model: score ${s} is below the floor of ${q.minScore}.`;
    return { outcome: 'skipped', output: { why: reason }, values: { 'lead.qualified': false, 'lead.reason': reason }, by: 'score floor' };
  }
  const enriched: FieldValues = Object.fromEntries(Object.entries(lead.state.values).filter(([f]) => !f.startsWith('lead.')));
  const { provider, inputKey } = qualifier.ask({ input: lead.input, values: enriched, score: s });
  const res = await caller.step(provider, lead.input, inputKey, lead.ctx);
  switch (res.kind) {
    case 'answer':
      return {
        outcome: 'done',
        output: { ...res.values, cached: res.cached },
        values: res.values as Partial<Record<LeadField, FieldValue>>,
        by: provider.label,
        costUsd: res.costUsd,
        judgement: true,
      };
    case 'failed':
      return { outcome: 'failed', code: res.code, message: res.message, transient: res.transient, by: provider.label };
    default:
      return { outcome: 'stop', kind: res.kind };
  }
};

const route: Step = async ({ leads }, lead) => {
  const routing = lead.pipeline.config.route;
  if (!routing) return skipped('no routing rules');
  const rule = ruleFor(routing, { values: lead.state.values, score: scoreOf(lead) });
  if (!rule) return skipped('no routing rule matched');
  const turn = await leads.takeTurn(lead.workspace, rule.name, lead.jobId, lead.seq);
  const owner = ownerAt(rule, turn);
  const priority = priorityFor(routing, rule, scoreOf(lead));
  return {
    outcome: 'done',
    output: { rule: rule.name, turn, owner, priority },
    values: { 'lead.owner': owner.name, 'lead.priority': priority },
    by: `rule ${rule.name}`,
  };
};

/** Sends effects to each target and waits for all; the step fails if any failed for good. */
async function effectsStep(
  outbox: Outbox,
  lead: Lead,
  step: LeadStepName,
  sends: { target: EffectKind; payload: unknown }[],
  failCode: RowFlagCode,
): Promise<StepEnd> {
  const by = sends.map((s) => s.target).join(', ');
  const settled = await Promise.all(
    sends.map((s) =>
      outbox.deliver({
        id: `${lead.jobId}.${lead.seq}.${step}.${s.target}`,
        workspaceId: lead.workspace,
        target: targetOf(lead.pipeline, s.target),
        jobId: lead.jobId,
        seq: lead.seq,
        payload: s.payload,
        priority: lead.ctx.lane.realtime ? 1 : 0,
      }),
    ),
  );
  // The outbox stopped (a shutdown) before every effect settled: the row goes back, to wait for them after the restart.
  if (settled.some((s) => s === undefined)) return { outcome: 'stop', kind: 'cancelled' };
  const output = Object.fromEntries(sends.map((s, i) => [s.target, settled[i]!.status === 'done' ? settled[i]!.result : { error: settled[i]!.error }]));
  const failed = settled.find((s) => s?.status === 'failed');
  if (failed) return { outcome: 'failed', code: failCode, message: failed.error ?? 'the receiver refused it', transient: false, by, output };
  return { outcome: 'done', output, by };
}

const leadCard = (lead: Lead) => ({ id: leadId(lead.jobId, lead.key), source: lead.source, input: lead.input, values: lead.state.values });

const deliver: Step = async ({ outbox }, lead) => {
  const targets = lead.pipeline.config.deliver;
  if (!targets) return skipped('no CRM configured');
  if (!lead.effects.deliver) return skipped('delivery is off for this job');
  const sends: { target: EffectKind; payload: unknown }[] = [];
  const email = lead.input.email ?? text(lead.state.values['person.email']);
  if (targets.hubspot && email) {
    const properties: Record<string, string> = {};
    for (const [prop, field] of Object.entries(targets.hubspot.properties)) {
      const v = text(lead.state.values[field]);
      if (v !== null) properties[prop] = v;
    }
    sends.push({ target: 'hubspot', payload: { email, properties } satisfies ContactWrite });
  }
  if (targets.webhook) sends.push({ target: 'deliver-webhook', payload: { type: 'lead.delivered', lead: leadCard(lead) } });
  if (sends.length === 0) return skipped('no email to key the CRM contact by');
  const end = await effectsStep(outbox, lead, 'deliver', sends, 'delivery_failed');
  const crmId = end.outcome === 'done' ? (end.output as { hubspot?: { crmId?: string } }).hubspot?.crmId : undefined;
  return crmId && end.outcome === 'done' ? { ...end, values: { 'lead.crmId': crmId } } : end;
};

const notify: Step = async ({ outbox }, lead) => {
  const targets = lead.pipeline.config.notify;
  if (!targets) return skipped('no notification configured');
  if (!lead.effects.notify) return skipped('notifications are off for this job');
  if (lead.state.values['lead.qualified'] !== true) return skipped('not qualified');
  const routed = lead.state.run?.steps.route?.output as { owner?: Owner } | undefined;
  const owner = routed?.owner ?? { name: 'unassigned' };
  const v = lead.state.values;
  const name = text(v['person.fullName']) ?? (lead.input.fullName || [lead.input.firstName, lead.input.lastName].filter(Boolean).join(' ') || null);
  const notice: LeadNotice = {
    lead: leadId(lead.jobId, lead.key),
    name,
    company: text(v['company.name']) ?? lead.input.company ?? null,
    email: lead.input.email ?? null,
    score: scoreOf(lead) ?? null,
    priority: text(v['lead.priority']),
    reason: text(v['lead.reason']),
    owner,
  };
  const sends: { target: EffectKind; payload: unknown }[] = [];
  if (targets.slack) sends.push({ target: 'slack', payload: notice });
  if (targets.webhook) sends.push({ target: 'notify-webhook', payload: { type: 'lead.qualified', lead: leadCard(lead), owner } });
  return effectsStep(outbox, lead, 'notify', sends, 'notify_failed');
};

/** The steps after enrichment, in run order. */
export const AFTER_ENRICH: readonly [LeadStepName, Step][] = [
  ['score', score],
  ['qualify', qualify],
  ['route', route],
  ['deliver', deliver],
  ['notify', notify],
];
