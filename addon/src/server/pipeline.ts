import type { PipelineInfo } from '../../../shared/index.js';
import { AddonError } from '../core/apiErrors.js';
import { NO_PIPELINE } from '../core/leadFields.js';
import type { Ctx } from './context.js';

/**
 * What the workspace's lead pipeline runs (GET /v1/pipeline), for the
 * sidebar's Qualify group. An API from before the pipeline answers the route
 * with 404: that is a workspace without one, not an error.
 */
export function readPipeline(ctx: Ctx): PipelineInfo {
  try {
    return ctx.api().call('pipeline', {});
  } catch (err) {
    if (err instanceof AddonError && err.code === 'not_found') return NO_PIPELINE;
    throw err;
  }
}
