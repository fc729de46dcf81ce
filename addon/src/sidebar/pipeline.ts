import type { PipelineInfo } from '../../../shared/index.js';
import { NO_PIPELINE } from '../core/leadFields.js';
import { call } from './run.js';

let cached: Promise<PipelineInfo> | undefined;

/**
 * The workspace's lead pipeline, asked once per sidebar session (each ask is
 * an Apps Script execution and a UrlFetch call). An API that cannot say
 * counts as no pipeline: the Qualify group stays hidden and the rest of the
 * sidebar works (the row inspector shows plain rows' detail).
 */
export function pipelineInfo(): Promise<PipelineInfo> {
  // A failed ask is not kept: the next panel to render asks again.
  cached ??= call('getPipeline').catch(() => {
    cached = undefined;
    return NO_PIPELINE;
  });
  return cached;
}

/** After the connection settings change: another key may be another workspace, with another pipeline. */
export function forgetPipeline(): void {
  cached = undefined;
}
