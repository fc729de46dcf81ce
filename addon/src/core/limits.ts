import { z } from 'zod';
import { LIMITS } from '../../../shared/index.js';

/**
 * The numbers that keep the add-on inside Google's limits (see
 * google-platform-limits.md): one Apps Script execution may run 6 minutes, a
 * custom function 30 seconds, a UrlFetch request 50 MB. Defaults stay far
 * below; a deployment can change any of them with the script property
 * `cascade.limits` (JSON), as the tests do to exercise many batches quickly.
 */
export const AddonLimitsSchema = z.object({
  /** Rows per append request: ~100 bytes a row keeps a request in the hundreds of KB. */
  batchRows: z.number().int().min(1).max(LIMITS.rowsPerRequest).default(2000),
  /** A request body above this is split, whatever batchRows says (long cells). */
  maxPayloadBytes: z.number().int().min(10_000).max(LIMITS.bodyBytes).default(2_000_000),
  /** Upload time per execution; the next batch starts only before this, so one execution stays near a minute of the six. */
  uploadBudgetMs: z.number().int().min(0).max(240_000).default(45_000),
  /** Rows of an evenly spread sample sent for the estimate of a long column. */
  estimateSample: z.number().int().min(1).max(LIMITS.rowsPerRequest).default(1000),
  /** Deadline the API gets for `=CASCADE()`, well inside the 30 s a custom function may run. */
  lookupDeadlineMs: z.number().int().min(50).max(25_000).default(8000),
  /** How long `=CASCADE()` keeps an answer in the user cache, so recalculation does not spend UrlFetch quota. */
  lookupCacheSeconds: z.number().int().min(0).max(21_600).default(21_600),
  /** Cells one `=CASCADE(A2:A100, …)` may look up (in parallel, fetchAll). */
  lookupMaxRows: z.number().int().min(1).max(500).default(100),
  /** How often the Google token is re-sent while a job runs (tokens last about an hour). */
  tokenRefreshMs: z
    .number()
    .int()
    .min(0)
    .default(30 * 60_000),
  /** How long a second upload execution waits for the first before leaving the work to it. */
  lockWaitMs: z.number().int().min(0).max(30_000).default(1000),
});
export type AddonLimits = z.infer<typeof AddonLimitsSchema>;

/** Defaults merged with the overrides; a broken override is ignored field by field rather than stopping the add-on. */
export function readLimits(raw: string | null): AddonLimits {
  let overrides: Record<string, unknown> = {};
  try {
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    if (parsed && typeof parsed === 'object') overrides = parsed as Record<string, unknown>;
  } catch {
    overrides = {};
  }
  const valid: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(overrides)) {
    const field = AddonLimitsSchema.shape[k as keyof AddonLimits];
    if (field?.safeParse(v).success) valid[k] = v;
  }
  return AddonLimitsSchema.parse(valid);
}
