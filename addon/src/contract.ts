import { z } from 'zod';
import {
  CreateJobSchema,
  FieldSchema,
  HeaderRowSchema,
  LIMITS,
  RetrySchema as ApiRetrySchema,
  RowInputSchema,
  RowKeySchema,
  type EstimateResult,
  type Field,
  type JobCounts,
  type LeadStepName,
  type PipelineInfo,
  type RowStatus,
  type SheetProgress,
  type StepOutcome,
} from '../../shared/index.js';

/**
 * The one interface between the sidebar and the Apps Script side: what
 * `google.script.run` may call, with what, and what comes back. The entry
 * file exposes exactly these (plus the triggers and CASCADE); the sidebar
 * calls them through a wrapper typed from this. Arguments are re-validated
 * on the server, since anything in the sidebar's iframe can call them.
 */
export interface ServerFunctions {
  getSidebarState(): SidebarState;
  saveSettings(input: SettingsInput): SettingsView;
  testConnection(): ConnectionResult;
  inspectSheet(headerRow: number): SheetView;
  estimate(plan: PlanInput): EstimateView;
  startJob(plan: PlanInput): ProgressView;
  continueUpload(): ProgressView;
  getProgress(): ProgressView | null;
  cancelJob(): ProgressView;
  retryFlagged(options: RetryInput): ProgressView;
  openDashboard(): DashboardView;
  /** What the workspace's lead pipeline runs; not configured when the API has none (or predates it). */
  getPipeline(): PipelineInfo;
  /** The lead run of the sheet's selected row, or why there is none. */
  inspectRow(): RowInspection;
  /** A lead run again (the inspector refreshing after Replay). */
  inspectLead(ref: LeadRefInput): LeadView;
  /** Resumes one row's run from its failed step (steps that succeeded never run again), then shows it. */
  replayLead(ref: LeadRefInput): LeadView;
  /** A plain row's detail again (the inspector refreshing after Retry). */
  inspectResult(ref: RowRefInput): RowDetailView;
  /** Re-queues one flagged row of a plain job (POST /v1/jobs/{id}/retry with its key), then shows it. */
  retryRow(ref: RowRefInput): RowDetailView;
}

/** The row input a column can feed: the API's own row shape. */
export const INPUT_KEYS = Object.keys(RowInputSchema.shape) as InputKey[];
export type InputKey = keyof z.infer<typeof RowInputSchema>;

export const SettingsInputSchema = z.object({
  apiUrl: z
    .string()
    .trim()
    .regex(/^https?:\/\/[^\s/?#]+(?::\d+)?(\/[^\s?#]*)?$/i, 'an http(s) URL such as https://cascade.example.com'),
  /** Empty keeps the saved key: the sidebar never gets the full key back to resend. */
  apiKey: z.string().trim().max(200).optional(),
});
export type SettingsInput = z.input<typeof SettingsInputSchema>;

/** 1-based column numbers of the inputs, as the sheet numbers them. */
export const InputColumnsSchema = z
  .partialRecord(z.enum(INPUT_KEYS as [InputKey, ...InputKey[]]), z.number().int().min(1).max(18_278))
  .refine((m) => Object.keys(m).length > 0, 'choose at least one input column');
export type InputColumns = z.infer<typeof InputColumnsSchema>;

export const PlanSchema = z.object({
  sheetName: z.string().min(1).max(200),
  headerRow: HeaderRowSchema,
  inputs: InputColumnsSchema,
  fields: z.array(FieldSchema).min(1, 'tick at least one field').max(LIMITS.fieldsPerJob),
  maxCostUsd: z.number().nonnegative().finite().optional(),
  /** With lead fields: whether the pipeline writes to the CRM and tells owners for this job's rows (both off unless turned on). */
  pipeline: CreateJobSchema.shape.pipeline,
});
export type PlanInput = z.input<typeof PlanSchema>;
export type Plan = z.infer<typeof PlanSchema>;

/** The sidebar raises the cap; which rows to re-queue is the API's call (all flagged ones). */
export const RetrySchema = ApiRetrySchema.pick({ maxCostUsd: true });
export type RetryInput = z.input<typeof RetrySchema>;

export interface SettingsView {
  apiUrl: string | null;
  /** `csk_…9f2a`: enough to recognise the key, never enough to use it. */
  keyHint: string | null;
}

export interface ConnectionResult {
  ok: boolean;
  message: string;
}

export interface ColumnView {
  column: number;
  letter: string;
  header: string;
  /** A few values, so the user recognises the column. */
  sample: string[];
}

export interface OutputColumn {
  letter: string;
  header: string;
  /** False when the column is new and will be created with this header. */
  exists: boolean;
}

export interface SheetView {
  name: string;
  headerRow: number;
  columns: ColumnView[];
  /** Rows below the header up to the last non-empty row. */
  dataRows: number;
  /** Input columns detected from headers and values; the user can change them. */
  proposed: InputColumns;
}

export interface SidebarState {
  settings: SettingsView;
  sheet: SheetView;
  job: ProgressView | null;
  /** Why the job could not be shown (the API unreachable, say); the rest of the sidebar still works. */
  jobError: string | null;
}

/** The API's estimate for the whole column: `rows` are the non-empty rows a job would enrich. */
export interface EstimateView extends EstimateResult {
  /** Rows the API priced: all of them, or an even sample of a long column whose figures are scaled up. */
  sampled: number;
  /** Lead fields were asked: the pipeline's steps (its own enrichment, the model) are not in these figures. */
  pipelineNotPriced: boolean;
}

export interface ProgressView {
  jobId: string;
  sheetName: string;
  fields: Field[];
  /** `uploading` until every row has been handed to the API; the API enriches what it has meanwhile. */
  phase: 'uploading' | 'running' | 'done' | 'cancelled';
  uploaded: number;
  total: number;
  counts: JobCounts;
  /** Rows with an outcome. */
  done: number;
  /** Rows "Retry flagged" can change: failed and budget exhausted. */
  flagged: number;
  costUsd: number;
  maxCostUsd: number | null;
  startedAt: number;
  /** The API's write-back into the sheet: rows written, waiting, orphaned (their sheet row was deleted), last error. */
  sheet: SheetProgress | null;
}

export interface DashboardView {
  sheetName: string;
  refreshed: boolean;
}

/** A lead run by its job and row key (the sheet row number as the job sent it). */
export const LeadRefSchema = z.object({
  jobId: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'a job id'),
  key: RowKeySchema,
});
export type LeadRefInput = z.input<typeof LeadRefSchema>;

/** One step of a lead run as the row inspector shows it: its latest attempt. */
export interface LeadStepView {
  step: LeadStepName;
  label: string;
  outcome: StepOutcome;
  /** Attempts so far (a replayed step has more than one). */
  attempts: number;
  duration: string;
  cost: string;
  /** Who did it: the model, the CRM, the webhook, the providers asked. */
  by: string | null;
  /** What it made, in a few words (`score 72`, `owner Ann · priority high`), or why it was skipped. */
  detail: string | null;
  /** The step's output is a model's judgement, not a found fact. */
  judgement: boolean;
  /** The qualifier's reason for its verdict: always a model's judgement. */
  reason: string | null;
  error: string | null;
}

export interface LeadFieldView {
  field: Field;
  label: string;
  value: string;
  /** A model's judgement (qualified, reason), shown as such. */
  judgement: boolean;
}

export interface LeadView {
  id: string;
  jobId: string;
  key: string;
  status: RowStatus;
  /** Pending or running: the inspector refreshes until it settles. */
  running: boolean;
  /** `Done`, `Running…`, `Stopped at Write to CRM`. */
  summary: string;
  steps: LeadStepView[];
  fields: LeadFieldView[];
  /** Every attempt's cost, replays included. */
  cost: string;
  failedStep: LeadStepName | null;
  /** A step failed and the run is not already going again: Replay resumes it there. */
  canReplay: boolean;
  error: string | null;
}

/** A row of a job by its job and key (the sheet row number as the job sent it). */
export const RowRefSchema = LeadRefSchema;
export type RowRefInput = LeadRefInput;

/** One value of a plain row as the inspector shows it: what was found, by whom, and how. */
export interface RowValueView {
  field: Field;
  label: string;
  value: string;
  /** The provider's label (GET /v1/metrics), its id only when the API has no label for it. */
  provider: string;
  /** Taken from the cache: no call was bought for it in this job. */
  cached: boolean;
  /** Guessed by a predictive provider where no data provider found it: a prediction, never a verified match. */
  predicted: boolean;
  /** The prediction's confidence (`70%`), when predicted. */
  confidence: string | null;
  /** When the provider answered (ISO). */
  fetchedAt: string;
}

/** The full detail behind the short status cell of a row of a plain enrichment job (GET /v1/jobs/{id}/results?key=). */
export interface RowDetailView {
  jobId: string;
  key: string;
  status: RowStatus;
  /** Pending or running: the inspector refreshes until it settles. */
  running: boolean;
  /** The status in words: `Matched: every field found`, `Partial: 2 of 3 fields found`, `Failed`… */
  summary: string;
  values: RowValueView[];
  /** The job's fields the row has no value for. */
  missing: { field: Field; label: string }[];
  /** The row's flag: its code and the whole message (the status column shows it cut short). */
  error: { code: string; message: string } | null;
  /** Flagged failed or budget exhausted: Retry re-queues this row alone. */
  canRetry: boolean;
  /** What else the reader should know to act (a row stopped by the cost cap needs a higher cap). */
  hint: string | null;
}

export interface RowInspection {
  sheetName: string;
  /** The selected row (the first of a selection of several), or null with nothing selected. */
  row: number | null;
  selectedRows: number;
  /** The row's lead run, when a job with lead fields sent it. */
  lead: LeadView | null;
  /** A plain enrichment job's row: its values, providers, what is missing and its flag in full. */
  detail: RowDetailView | null;
  /** Why there is nothing to show. */
  note: string | null;
}
