import type { JobView } from '../../../shared/index.js';
import type { ProgressView } from '../contract.js';
import type { JobState } from './jobState.js';

/** The sidebar's numbers from the saved upload state and the API's view of the job. */
export function toProgress(state: JobState, job: JobView): ProgressView {
  const c = job.counts;
  const uploading = state.nextRow <= state.lastRow && !state.cancelled;
  return {
    jobId: state.jobId,
    sheetName: state.sheetName,
    fields: state.fields,
    phase: job.status === 'cancelled' ? 'cancelled' : uploading ? 'uploading' : job.status === 'done' ? 'done' : 'running',
    uploaded: state.uploaded,
    total: Math.max(state.total, c.total),
    counts: c,
    done: c.total - c.pending - c.running,
    flagged: c.failed + c.budget_exhausted,
    costUsd: job.costUsd,
    maxCostUsd: job.maxCostUsd,
    startedAt: state.startedAt,
    sheet: job.sheet ?? null,
  };
}
