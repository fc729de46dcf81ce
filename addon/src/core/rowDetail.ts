import { FIELDS, type Field, type ProviderMetrics, type RowResult, type RowStatus } from '../../../shared/index.js';
import type { RowDetailView, RowValueView } from '../contract.js';
import { valueText } from './leadRun.js';

/** Provider id → label, from GET /v1/metrics' providers (a demo provider's label says so). */
export function providerLabels(providers: readonly Pick<ProviderMetrics, 'provider' | 'label'>[]): Map<string, string> {
  return new Map(providers.map((p) => [p.provider, p.label]));
}

const percent = (x: number) => `${Math.round(x * 100)}%`;

function summary(status: RowStatus, found: number, asked: number): string {
  switch (status) {
    case 'pending':
      return 'Waiting to run';
    case 'running':
      return 'Running…';
    case 'matched':
      return 'Matched: every field found';
    case 'partial':
      return `Partial: ${found} of ${asked} fields found`;
    case 'no_match':
      return 'No match: every provider answered, none knew it';
    case 'failed':
      return found ? `Failed, with ${found} of ${asked} fields found` : 'Failed';
    case 'invalid_input':
      return 'Invalid input: no provider was asked';
    case 'budget_exhausted':
      return 'Stopped at the job’s cost cap';
  }
}

/**
 * A plain enrichment row as the row inspector shows it: the detail the
 * status column leaves out. Each value with the provider it came from (by
 * label), whether it came from the cache, and predictions marked as such;
 * the job's fields still missing; the flag's whole message; and whether
 * Retry has something to re-queue (failed and budget-exhausted rows, as
 * POST /v1/jobs/{id}/retry takes them).
 */
export function rowDetailView(jobId: string, fields: readonly Field[], row: RowResult, labels: ReadonlyMap<string, string>): RowDetailView {
  const values: RowValueView[] = fields.flatMap((f) => {
    const v = row.values[f];
    if (v === undefined) return [];
    const p = row.provenance[f];
    const id = p?.provider ?? row.sources[f] ?? '';
    return [
      {
        field: f,
        label: FIELDS[f].label,
        value: valueText(v),
        provider: labels.get(id) ?? id,
        cached: p?.cached ?? false,
        predicted: p?.predicted === true,
        confidence: p?.predicted && p.confidence !== undefined ? percent(p.confidence) : null,
        fetchedAt: p?.fetchedAt ?? '',
      },
    ];
  });
  const missing = fields.filter((f) => row.values[f] === undefined).map((f) => ({ field: f, label: FIELDS[f].label }));
  const running = row.status === 'pending' || row.status === 'running';
  return {
    jobId,
    key: row.key,
    status: row.status,
    running,
    summary: summary(row.status, values.length, fields.length),
    values,
    missing,
    error: row.error ? { code: row.error.code, message: row.error.message } : null,
    canRetry: row.status === 'failed' || row.status === 'budget_exhausted',
    hint:
      row.status === 'budget_exhausted'
        ? 'Retry runs it again under the job’s cap, which it reached; to let it spend more, raise the cap with Retry flagged.'
        : row.status === 'invalid_input'
          ? 'Correct the input cell, then enrich the row again: Retry does not re-read the sheet.'
          : null,
  };
}
