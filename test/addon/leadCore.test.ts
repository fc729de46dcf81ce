import { describe, expect, it } from 'vitest';
import { ENRICH_FIELDS, FIELDS, LEAD_FIELDS, type Field, type LeadRun } from '../../shared/index.js';
import { isOutputHeader, proposeOutputs } from '../../addon/src/core/columns.js';
import { detectInputs } from '../../addon/src/core/detect.js';
import { describeApiError } from '../../addon/src/core/apiErrors.js';
import { enrichFieldsOf, isEnrichField, LEAD_FIELD_STEP, leadFieldsOf, pipelineSteps, qualifyFields, targetsLabel } from '../../addon/src/core/leadFields.js';
import { formatCost, formatMs, leadView, valueText } from '../../addon/src/core/leadRun.js';
import { attempt, failedRun, replayedRuns } from './helpers/fakeLeadApi.js';

describe('field filtering', () => {
  it('splits a job’s fields into enrichment fields (estimable, lookup-able) and lead fields, keeping their order', () => {
    const asked: Field[] = ['lead.score', 'company.name', 'lead.reason', 'person.title'];
    expect(enrichFieldsOf(asked)).toEqual(['company.name', 'person.title']);
    expect(leadFieldsOf(asked)).toEqual(['lead.score', 'lead.reason']);
    expect(enrichFieldsOf(LEAD_FIELDS)).toEqual([]);
    expect(enrichFieldsOf(ENRICH_FIELDS)).toEqual(ENRICH_FIELDS);
    expect(isEnrichField('company.name')).toBe(true);
    expect(isEnrichField('lead.score')).toBe(false);
    expect(isEnrichField('nope')).toBe(false);
  });

  it('names the step that makes every lead field', () => {
    expect(Object.keys(LEAD_FIELD_STEP).sort()).toEqual([...LEAD_FIELDS].sort());
  });

  it('offers every lead field under Qualify with the catalogue’s label, available only where its step runs', () => {
    const q = qualifyFields({ steps: ['enrich', 'score', 'qualify', 'route'] });
    expect(q.map((f) => f.label)).toEqual(LEAD_FIELDS.map((f) => FIELDS[f].label));
    expect(q.filter((f) => !f.available).map((f) => f.field)).toEqual(['lead.crmId', 'lead.duplicateOf']);
    expect(q.filter((f) => f.judgement).map((f) => f.field)).toEqual(['lead.qualified', 'lead.reason']);
  });

  it('says what the pipeline runs on one line, the model marked, and its targets', () => {
    expect(pipelineSteps({ steps: ['enrich', 'score', 'qualify', 'route'], minScore: 40 })).toBe('Enrich → Score → Qualify (AI, score ≥ 40) → Route');
    expect(pipelineSteps({ steps: ['qualify', 'deliver'], minScore: null })).toBe('Qualify (AI) → Write to CRM');
    expect(targetsLabel(['hubspot', 'webhook'])).toBe('HubSpot/webhook');
    expect(targetsLabel(['slack'])).toBe('Slack');
  });

  it('plans lead fields’ columns like any field, headed with their label', () => {
    const { outputs, status } = proposeOutputs(['Email', 'ICP score'], ['lead.score', 'lead.qualified', 'company.name'], [1]);
    expect(outputs['lead.score']).toEqual({ letter: 'B', header: 'ICP score', exists: true });
    expect(outputs['lead.qualified']).toEqual({ letter: 'C', header: 'Qualified (AI)', exists: false });
    expect(outputs['company.name']).toEqual({ letter: 'D', header: 'Company name', exists: false });
    expect(status.letter).toBe('E');
  });

  it('never proposes a column the pipeline wrote as an input, though "Duplicate of" holds emails', () => {
    expect(LEAD_FIELDS.every((f) => isOutputHeader(FIELDS[f].label))).toBe(true);
    const samples = [
      ['acme.com', 'globex.io'],
      ['ann@acme.com', 'bob@globex.io'],
    ];
    expect(detectInputs(['Website', 'Duplicate of'], samples)).toEqual({ domain: 1 });
    expect(detectInputs(['Website', 'Contacts'], samples)).toEqual({ domain: 1, email: 2 });
  });

  it('reads 409 pipeline_not_configured as what to do', () => {
    const err = describeApiError(409, JSON.stringify({ error: { code: 'pipeline_not_configured', message: 'x' } }), 'u');
    expect(err.code).toBe('pipeline_not_configured');
    expect(err.message).toMatch(/no lead pipeline configured.*untick them/);
  });
});

describe('a lead run as the inspector shows it', () => {
  it('formats times and costs the way a step takes them', () => {
    expect([formatMs(2), formatMs(340.4), formatMs(1234), formatMs(59_999), formatMs(125_000), formatMs(Number.NaN)]).toEqual([
      '2 ms',
      '340 ms',
      '1.2 s',
      '1 min',
      '2 min',
      '—',
    ]);
    expect([formatCost(0), formatCost(0.0004), formatCost(0.03), formatCost(0.1234), formatCost(2)]).toEqual(['$0', '$0.0004', '$0.03', '$0.12', '$2.00']);
    expect([valueText(true), valueText(false), valueText(['a', 'b']), valueText(72)]).toEqual(['yes', 'no', 'a, b', '72']);
  });

  it('gives each step reached its outcome, figures, who did it and what it made; the reason only as the model’s judgement', () => {
    const v = leadView(failedRun('job_a', '3'));
    expect(v.steps.map((s) => [s.label, s.outcome, s.duration, s.cost, s.by, s.detail])).toEqual([
      ['Enrich', 'done', '840 ms', '$0.03', 'firmo, people', null],
      ['Score', 'done', '2 ms', '$0', 'score rules', 'score 72'],
      ['Qualify', 'done', '1.2 s', '$0.0004', 'demo-llm (gpt-4o-mini)', 'qualified: yes'],
      ['Route', 'done', '1 ms', '$0', 'rule EU', 'owner Ann Example · priority medium'],
      ['Write to CRM', 'failed', '5.0 s', '$0', 'hubspot', null],
    ]);
    expect(v.steps.filter((s) => s.judgement).map((s) => s.step)).toEqual(['qualify']);
    expect(v.steps.filter((s) => s.reason).map((s) => [s.step, s.reason])).toEqual([['qualify', 'Mid-size SaaS in a target country']]);
    expect(v.steps.filter((s) => s.error).map((s) => [s.step, s.error])).toEqual([['deliver', 'HubSpot answered HTTP 502']]);
    expect(v).toMatchObject({ id: 'job_a.3', summary: 'Stopped at Write to CRM', failedStep: 'deliver', canReplay: true, running: false, cost: '$0.0304' });
    // Only lead fields, with their labels; the model's verdict and reason marked as its judgement.
    expect(v.fields.map((f) => [f.label, f.value, f.judgement])).toEqual([
      ['ICP score', '72', false],
      ['Qualified (AI)', 'yes', true],
      ['Reason (AI)', 'Mid-size SaaS in a target country', true],
      ['Owner', 'Ann Example', false],
      ['Priority', 'medium', false],
    ]);
  });

  it('offers Replay only for a failed step of a run not already going again, and counts attempts and every attempt’s cost', () => {
    const [running, done] = replayedRuns(failedRun('job_a', '3'));
    expect(leadView(running!)).toMatchObject({ running: true, canReplay: false, summary: 'Running…' });
    const after = leadView(done!);
    expect(after).toMatchObject({ running: false, canReplay: false, failedStep: null, summary: 'Done', error: null });
    expect(after.steps.map((s) => [s.step, s.outcome, s.attempts])).toEqual([
      ['enrich', 'done', 1],
      ['score', 'done', 1],
      ['qualify', 'done', 1],
      ['route', 'done', 1],
      ['deliver', 'done', 2],
      ['notify', 'done', 1],
    ]);
    expect(after.steps.find((s) => s.step === 'deliver')!.detail).toBe('CRM record 901');
  });

  it('says why a step was skipped, and never marks a rule’s verdict under the score floor as the model’s', () => {
    // As the API's steps record it: below the floor the lead is not sent to the model; the rule says not qualified, and why.
    const why = 'Not sent to the model: score 12 is below the floor of 40.';
    const run: LeadRun = {
      ...failedRun('job_b', '9'),
      status: 'matched',
      values: { 'lead.score': 12, 'lead.qualified': false, 'lead.reason': why },
      steps: [
        attempt({ step: 'dedup', outcome: 'done', by: 'dedup', output: { first: true } }),
        attempt({
          step: 'score',
          outcome: 'done',
          output: {
            score: 12,
            breakdown: [
              { rule: 'EU', points: 20 },
              { rule: 'tiny', points: -8 },
            ],
          },
        }),
        attempt({ step: 'qualify', outcome: 'skipped', by: 'score floor', output: { why } }),
        attempt({ step: 'route', outcome: 'skipped', output: { why: 'no routing rule matched' } }),
        attempt({ step: 'deliver', outcome: 'skipped', output: 'delivery is off for this job' }),
      ],
      history: [],
    };
    const v = leadView(run);
    expect(v.steps.map((s) => [s.step, s.detail, s.reason, s.judgement])).toEqual([
      ['dedup', 'first seen', null, false],
      ['score', 'score 12 (EU +20, tiny −8)', null, false],
      ['qualify', why, null, false],
      ['route', 'no routing rule matched', null, false],
      ['deliver', 'delivery is off for this job', null, false],
    ]);
    expect(v.fields.map((f) => [f.label, f.value, f.judgement])).toEqual([
      ['ICP score', '12', false],
      ['Qualified', 'no', false],
      ['Reason', why, false],
    ]);
    expect(v).toMatchObject({ summary: 'Done', canReplay: false });
    // Without a history the latest attempts' costs are the total.
    expect(v.cost).toBe('$0');
  });

  it('reads what a step made from its output when the run’s values do not have it yet, keyed by field or short name', () => {
    const run: LeadRun = {
      ...failedRun('job_c', '4'),
      status: 'running',
      values: {},
      steps: [
        attempt({ step: 'dedup', outcome: 'done', output: { duplicateOf: 'job_a.3' } }),
        attempt({ step: 'qualify', outcome: 'done', output: { 'lead.qualified': true, 'lead.reason': 'fits', cached: false } }),
      ],
      history: [],
    };
    const v = leadView(run);
    expect(v.steps.map((s) => [s.step, s.detail, s.reason, s.judgement])).toEqual([
      ['dedup', 'duplicate of job_a.3', null, false],
      ['qualify', 'qualified: yes', 'fits', true],
    ]);
  });
});
