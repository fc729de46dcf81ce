import { isLeadField, type Field, type FieldValue } from '../../../shared/index.js';
import { CascadeError } from '../../errors.js';
import type { NewRow } from '../../storage/jobs.js';
import type { RowState } from '../rowState.js';
import type { Pipeline } from './pipelines.js';

/**
 * A job of leads at submission: asking for a lead field runs its rows
 * through the workspace's pipeline, which must exist. Undefined for a job
 * of plain enrichment.
 */
export function leadJobPipeline(pipelineOf: (ws: string) => Pipeline | undefined, workspace: string, fields: readonly Field[]): Pipeline | undefined {
  const asked = fields.findIndex(isLeadField);
  if (asked < 0) return undefined;
  const pipeline = pipelineOf(workspace);
  if (!pipeline) {
    throw new CascadeError(
      'pipeline_not_configured',
      `"${fields[asked]}" is made by the lead pipeline, and this workspace has none configured`,
      `fields[${asked}]`,
    );
  }
  return pipeline;
}

/**
 * Rows of leads as they go into storage. The cache may have settled a row's
 * enrichment already; its run still has every later step to go, so it
 * arrives pending (an invalid one stays flagged). Fields enriched elsewhere
 * (`data`) are taken as found, by their source: never bought again.
 */
export function leadRows(rows: NewRow<RowState>[], data: (Partial<Record<Field, FieldValue>> | undefined)[], source: string, now: number): NewRow<RowState>[] {
  return rows.map((r, i) => {
    if (r.status === 'invalid_input' || !r.state) return r;
    const given = data[i] ?? {};
    const state: RowState = { ...r.state, values: { ...r.state.values, ...given }, provenance: { ...r.state.provenance } };
    for (const f of Object.keys(given) as Field[]) state.provenance[f] = { provider: `source:${source}`, fetchedAt: now, cached: false };
    return { key: r.key, input: r.input, status: 'pending', state, ...(r.purchases ? { purchases: r.purchases } : {}) };
  });
}
