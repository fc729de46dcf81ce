import { z } from 'zod';
import { RowFlagCodeSchema, WriteBackErrorCodeSchema } from './errors.js';
import { EnrichFieldSchema, FieldSchema, FieldValueSchema } from './fields.js';
import { identifierText } from './text.js';

/** Limits a client can read before it sends: the server refuses more with a 4xx saying so. */
export const LIMITS = {
  rowsPerRequest: 5000,
  bodyBytes: 8 * 1024 * 1024,
  fieldsPerJob: 40,
  resultsPageMax: 5000,
} as const;

/**
 * A row's raw input as it stands in the sheet. Shape errors are request errors
 * (400, with the path); a value that cannot be used (longer than
 * INPUT_LIMITS, an email without @, a broken character) flags its row, so one
 * bad cell never refuses a batch.
 */
export const RowInputSchema = z
  .object({
    email: z.string(),
    domain: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    fullName: z.string(),
    company: z.string(),
    linkedinUrl: z.string(),
  })
  .partial()
  .strict()
  .meta({ id: 'RowInput' });
export type RowInput = z.infer<typeof RowInputSchema>;

/**
 * The longest value each input cell may hold, in UTF-16 units. Per cell, not
 * per body: a longer value flags its own row `invalid_input` and the other
 * rows of the batch run. Only the body's caps (LIMITS) refuse a request.
 */
export const INPUT_LIMITS: Readonly<Record<keyof RowInput, number>> = {
  email: 512,
  domain: 2048,
  firstName: 256,
  lastName: 256,
  fullName: 512,
  company: 512,
  linkedinUrl: 2048,
};

/** A row's key: stored and compared as sent, so one that cannot be stored faithfully is refused with its path. */
export const RowKeySchema = z.union([identifierText(200), z.number().int()]).transform(String);

export const RowSubmissionSchema = z.object({ key: RowKeySchema, input: RowInputSchema });

export const RowsSchema = z.array(RowSubmissionSchema).max(LIMITS.rowsPerRequest, {
  message: `at most ${LIMITS.rowsPerRequest} rows per request; send the rest with POST /v1/jobs/{id}/rows`,
});

/** The sheet row holding the headers; data rows are below it. */
export const HeaderRowSchema = z.number().int().min(1).max(1000);

/** The header of the column a row's status is written to, unless the job names another. */
export const DEFAULT_STATUS_COLUMN = 'Cascade status';

/** A column by letter (`F`, `AB`: 1–3 capitals) or by header text, found in the header row or added after the last column. */
export const ColumnRefSchema = z.string().trim().pipe(identifierText(200));

/**
 * Where a job's results are written: row keys are sheet row numbers at
 * submission; fields not in `columns` go to a column headed with the field's label.
 */
export const SheetTargetSchema = z
  .object({
    spreadsheetId: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'a spreadsheet id, as in docs.google.com/spreadsheets/d/<id>/'),
    sheetName: identifierText(100),
    headerRow: HeaderRowSchema.default(1),
    columns: z.partialRecord(FieldSchema, ColumnRefSchema).default({}),
    statusColumn: ColumnRefSchema.default(DEFAULT_STATUS_COLUMN),
    /** An opaque, stable id of the Google user (Apps Script: Session.getTemporaryActiveUserKey()), so their jobs share one user quota. */
    userKey: identifierText(200).optional(),
  })
  .meta({ id: 'SheetTarget' });
export type SheetTarget = z.infer<typeof SheetTargetSchema>;

/** A user's Google OAuth access token: kept in the API's memory only, never stored or logged. */
export const GoogleAccessTokenSchema = z.string().min(1).max(4096).regex(/^\S+$/, 'a bare access token, without "Bearer"');

export const SetTokenSchema = z.object({ accessToken: GoogleAccessTokenSchema }).meta({ id: 'SetToken' });

export const CreateJobSchema = z
  .object({
    fields: z.array(FieldSchema).min(1).max(LIMITS.fieldsPerJob),
    rows: RowsSchema.default([]),
    maxCostUsd: z.number().nonnegative().finite().optional(),
    /** Write results into this sheet as rows finish. */
    sheet: SheetTargetSchema.optional(),
    /** For `sheet`: the user's OAuth token; without it the server's service account writes. */
    googleAccessToken: GoogleAccessTokenSchema.optional(),
    /** Fill what no data provider finds with predictions (the llm provider kind), marked as such. */
    predict: z.boolean().default(false),
    /**
     * For jobs asking for `lead.*` fields: whether the lead pipeline's effects run for this job's rows. Off
     * unless turned on: a sheet job writes to the CRM and messages reps only when its user says so.
     */
    pipeline: z.object({ deliver: z.boolean().default(false), notify: z.boolean().default(false) }).optional(),
  })
  .meta({ id: 'CreateJob' });
export type CreateJob = z.input<typeof CreateJobSchema>;

export const AppendRowsSchema = z
  .object({
    rows: RowsSchema.min(1),
    /** Whether these rows ask for predictions; each batch says so for its own rows. */
    predict: z.boolean().default(false),
  })
  .meta({ id: 'AppendRows' });

export const RowStatusSchema = z.enum(['pending', 'running', 'matched', 'partial', 'no_match', 'failed', 'invalid_input', 'budget_exhausted']);
export type RowStatus = z.infer<typeof RowStatusSchema>;

export const JobStatusSchema = z.enum(['running', 'done', 'cancelled']);

export const JobCountsSchema = z
  .object(Object.fromEntries(['total', ...RowStatusSchema.options].map((k) => [k, z.number().int()])) as Record<'total' | RowStatus, z.ZodNumber>)
  .meta({ id: 'JobCounts' });
export type JobCounts = z.infer<typeof JobCountsSchema>;

export const JobViewSchema = z
  .object({
    id: z.string(),
    status: JobStatusSchema,
    fields: z.array(FieldSchema),
    counts: JobCountsSchema,
    costUsd: z.number(),
    maxCostUsd: z.number().nullable(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    sheet: z.lazy(() => SheetProgressSchema).optional(),
  })
  .meta({ id: 'JobView' });
export type JobView = z.infer<typeof JobViewSchema>;

/** Write-back progress: finished rows written, waiting to be written, or whose sheet row was deleted. */
export const SheetProgressSchema = z
  .object({
    state: z.enum(['writing', 'paused', 'done']),
    written: z.number().int(),
    pendingWrite: z.number().int(),
    orphaned: z.number().int(),
    lastError: z.object({ code: WriteBackErrorCodeSchema, message: z.string(), at: z.string() }).nullable(),
  })
  .meta({ id: 'SheetProgress' });
export type SheetProgress = z.infer<typeof SheetProgressSchema>;

export const ProvenanceSchema = z.object({
  provider: z.string(),
  fetchedAt: z.string(),
  cached: z.boolean(),
  /** Guessed by a predictive provider (an LLM) where no data provider found a value; never a verified match. */
  predicted: z.boolean().optional(),
  confidence: z.number().min(0).max(1).optional(),
});

export const RowErrorSchema = z.object({ code: RowFlagCodeSchema, message: z.string() });
export type RowError = z.infer<typeof RowErrorSchema>;

export const RowResultSchema = z
  .object({
    key: z.string(),
    status: RowStatusSchema,
    values: z.record(z.string(), FieldValueSchema),
    sources: z.record(z.string(), z.string()),
    provenance: z.record(z.string(), ProvenanceSchema),
    error: RowErrorSchema.optional(),
  })
  .meta({ id: 'RowResult' });
export type RowResult = z.infer<typeof RowResultSchema>;

export const ResultsPageSchema = z.object({ rows: z.array(RowResultSchema), next: z.string().optional() }).meta({ id: 'ResultsPage' });

export const ResultsQuerySchema = z.object({
  after: z.string().regex(/^\d+$/, 'a cursor from a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.resultsPageMax).default(500),
  status: RowStatusSchema.optional(),
  /** One row by its key, as sent (the add-on's row inspector): a page of that row alone, or of none; never a `next`. */
  key: identifierText(200).optional(),
});

/** The body is optional: without one, every flagged row is re-queued under the cap the job has. */
export const RetrySchema = z
  .object({
    keys: z.array(RowKeySchema).max(LIMITS.rowsPerRequest).optional(),
    /** Raises the job's cost cap, for rows flagged budget_exhausted. */
    maxCostUsd: z.number().nonnegative().finite().optional(),
  })
  .meta({ id: 'Retry' });

export const EnrichSchema = z
  .object({
    input: RowInputSchema,
    fields: z.array(EnrichFieldSchema).min(1).max(LIMITS.fieldsPerJob),
    deadlineMs: z.number().int().min(50).max(30_000).default(5000),
    /** Fill what no data provider found with predictions (the llm provider kind), marked as such. */
    predict: z.boolean().default(false),
  })
  .meta({ id: 'Enrich' });

export const EnrichResultSchema = z
  .object({
    status: RowStatusSchema,
    values: z.record(z.string(), FieldValueSchema),
    sources: z.record(z.string(), z.string()),
    provenance: z.record(z.string(), ProvenanceSchema),
    missing: z.array(EnrichFieldSchema),
    error: RowErrorSchema.optional(),
    costUsd: z.number(),
    elapsedMs: z.number(),
  })
  .meta({ id: 'EnrichResult' });
export type EnrichResult = z.infer<typeof EnrichResultSchema>;

export const MetricsQuerySchema = z.object({
  window: z
    .string()
    .regex(/^\d{1,4}[hd]$/, 'a number of hours or days, like 24h or 7d')
    .default('7d'),
  jobId: z.string().max(200).optional(),
});

export const ProviderMetricsSchema = z
  .object({
    provider: z.string(),
    label: z.string(),
    demo: z.boolean(),
    /** A predictive provider: its matches are predictions, kept out of the totals' matches, match rate and cost per match. */
    predicted: z.boolean().optional(),
    calls: z.number().int(),
    paidCalls: z.number().int(),
    matches: z.number().int(),
    noMatches: z.number().int(),
    matchRate: z.number().nullable(),
    p50Ms: z.number().nullable(),
    p95Ms: z.number().nullable(),
    costUsd: z.number(),
    costPerMatch: z.number().nullable(),
    rateLimited: z.number().int(),
    errors: z.number().int(),
    cacheHits: z.number().int(),
    /**
     * What the window's cache hits would have cost at the provider's prices: its price per call, plus its price per
     * match at its match rate in the window (none without answers in it). Money the cache saved, in USD.
     */
    savedUsd: z.number(),
  })
  .meta({ id: 'ProviderMetrics' });
export type ProviderMetrics = z.infer<typeof ProviderMetricsSchema>;

/**
 * How far a job of leads' rows got through the pipeline, each stage within
 * the one before: rows, then runs enriched, scored at or above the floor,
 * qualified by the model, and delivered to the CRM. Counted from each run's
 * own steps as they stand: a duplicate (answered with an earlier run's
 * result) counts in `rows` only, and a run still going counts at the stages
 * it has passed.
 */
export const LeadFunnelSchema = z
  .object({
    rows: z.number().int(),
    /** Runs whose enrich step is done (the waterfall ran, whether or not a provider knew the lead). */
    enriched: z.number().int(),
    /** Runs scored at or above `minScore`, as the qualify step lets them through: every run past the score step when there is no floor, or no score (no score rules). */
    aboveFloor: z.number().int(),
    /** The score floor `aboveFloor` counts against: the pipeline's `qualify.minScore` now; null without a qualifier. */
    minScore: z.number().nullable(),
    /** Runs the model answered qualified (`lead.qualified` true): a model's judgement. */
    qualified: z.number().int(),
    /** Runs whose deliver step is done; a skipped one (delivery off for the job, no CRM, no email) is not delivered. */
    delivered: z.number().int(),
    /** What the job spent, enrichment and model: its costUsd (GET /v1/jobs/{id}), all of it, not only the window's. */
    costUsd: z.number(),
    /** costUsd per qualified lead; null while none is qualified. */
    costPerQualifiedUsd: z.number().nullable(),
  })
  .meta({ id: 'LeadFunnel' });
export type LeadFunnel = z.infer<typeof LeadFunnelSchema>;

export const MetricsSchema = z
  .object({
    window: z.string(),
    since: z.string(),
    jobId: z.string().optional(),
    providers: z.array(ProviderMetricsSchema),
    totals: ProviderMetricsSchema.omit({ provider: true, label: true, demo: true, predicted: true }).extend({
      /** Values predicted by llm providers, and what they cost; the other totals count data providers only (costUsd counts all spend). */
      predictedMatches: z.number().int(),
      predictedCostUsd: z.number(),
    }),
    /** With `jobId`, when the job is a job of leads (its rows run the lead pipeline): its funnel. Absent otherwise. */
    funnel: LeadFunnelSchema.optional(),
  })
  .meta({ id: 'Metrics' });
export type Metrics = z.infer<typeof MetricsSchema>;

/** A dry run before a job: what these rows would cost now. Nothing is bought; clients with long columns send a sample. */
export const EstimateSchema = z
  .object({
    fields: z.array(EnrichFieldSchema).min(1).max(LIMITS.fieldsPerJob),
    inputs: z
      .array(RowInputSchema)
      .min(1)
      .max(LIMITS.rowsPerRequest, { message: `at most ${LIMITS.rowsPerRequest} rows per estimate; send a sample` }),
  })
  .meta({ id: 'Estimate' });

export const EstimateResultSchema = z
  .object({
    rows: z.number().int(),
    /** Rows that would be flagged invalid_input at submission. */
    invalid: z.number().int(),
    /** Rows every answer they need is already cached for: free and instant. */
    cached: z.number().int(),
    /** From each provider's price and learned match rate, in the order the waterfall would ask. */
    expectedCostUsd: z.number(),
    /** If every provider the waterfall could ask had to be paid for. */
    maxCostUsd: z.number(),
  })
  .meta({ id: 'EstimateResult' });
export type EstimateResult = z.infer<typeof EstimateResultSchema>;
