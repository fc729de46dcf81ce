import { describe, expect, it } from 'vitest';
import { providerLabels, rowDetailView } from '../../addon/src/core/rowDetail.js';
import type { Field, RowResult } from '../../shared/index.js';

const fetchedAt = '2025-03-04T05:06:07.000Z';
const labels = providerLabels([
  { provider: 'firmo', label: 'Firmographics Global' },
  { provider: 'demo-people', label: 'People Finder (demo)' },
  { provider: 'gpt', label: 'GPT guesser' },
]);
const fields: Field[] = ['company.name', 'company.techStack', 'company.employees', 'person.title'];
const row = (r: Partial<RowResult>): RowResult => ({ key: '7', status: 'partial', values: {}, sources: {}, provenance: {}, ...r });

describe('a plain row as the inspector shows it', () => {
  it('gives each value its provider’s label, cached or bought, a prediction with its confidence, and the fields missing', () => {
    const d = rowDetailView(
      'job_1',
      fields,
      row({
        values: { 'company.name': 'Acme', 'company.techStack': ['React', 'Stripe'], 'person.title': 'CTO', 'company.revenue': 5 },
        sources: { 'company.name': 'firmo', 'company.techStack': 'retired-provider', 'person.title': 'gpt' },
        provenance: {
          'company.name': { provider: 'firmo', fetchedAt, cached: true },
          'company.techStack': { provider: 'retired-provider', fetchedAt, cached: false },
          'person.title': { provider: 'gpt', fetchedAt, cached: false, predicted: true, confidence: 0.625 },
        },
      }),
      labels,
    );
    expect(d.values).toEqual([
      {
        field: 'company.name',
        label: 'Company name',
        value: 'Acme',
        provider: 'Firmographics Global',
        cached: true,
        predicted: false,
        confidence: null,
        fetchedAt,
      },
      // A provider the API no longer labels keeps its id; a list reads as the sheet shows it.
      {
        field: 'company.techStack',
        label: 'Tech stack',
        value: 'React, Stripe',
        provider: 'retired-provider',
        cached: false,
        predicted: false,
        confidence: null,
        fetchedAt,
      },
      { field: 'person.title', label: 'Job title', value: 'CTO', provider: 'GPT guesser', cached: false, predicted: true, confidence: '63%', fetchedAt },
    ]);
    // Only the job's fields: a value of a field it did not ask for is not shown.
    expect(d.values.map((v) => v.field)).not.toContain('company.revenue');
    expect(d.missing).toEqual([{ field: 'company.employees', label: 'Employees' }]);
    expect(d).toMatchObject({ jobId: 'job_1', key: '7', summary: 'Partial: 3 of 4 fields found', canRetry: false, running: false, error: null, hint: null });
  });

  it('says each status in words, offers Retry for the rows POST /retry re-queues, and what else to do', () => {
    const at = (status: RowResult['status'], extra: Partial<RowResult> = {}) => rowDetailView('job_1', fields, row({ status, ...extra }), labels);
    expect(at('matched').summary).toBe('Matched: every field found');
    expect(at('no_match').summary).toBe('No match: every provider answered, none knew it');
    expect(at('pending')).toMatchObject({ summary: 'Waiting to run', running: true, canRetry: false });
    expect(at('running')).toMatchObject({ summary: 'Running…', running: true, canRetry: false });
    const message = 'Demo Firmographics Global: demo behaviour, refused on first ask (the simulated provider refuses about one lead in six the first time)';
    expect(at('failed', { error: { code: 'provider_rejected', message } })).toMatchObject({
      summary: 'Failed',
      error: { code: 'provider_rejected', message },
      canRetry: true,
      hint: null,
    });
    const capped = at('budget_exhausted', { error: { code: 'budget_exhausted', message: 'the next call could pass maxCostUsd 0.5' } });
    expect(capped).toMatchObject({ summary: 'Stopped at the job’s cost cap', canRetry: true });
    expect(capped.hint).toMatch(/raise the cap with Retry flagged/);
    const invalid = at('invalid_input', { error: { code: 'invalid_input', message: 'email: "ann(at)x" has no @' } });
    expect(invalid).toMatchObject({ summary: 'Invalid input: no provider was asked', canRetry: false });
    expect(invalid.hint).toMatch(/^Correct the input cell/);
    expect(invalid.missing).toHaveLength(fields.length);
  });
});
