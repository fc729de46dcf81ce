import type { Field, LeadStepName, RowFlagCode, RowStatus } from '../../shared/index.js';
import type { FieldValues } from '../providers/types.js';

export interface Provenance {
  provider: string;
  fetchedAt: number;
  cached: boolean;
  /** Guessed by a predictive provider (an LLM), with its confidence: not a found value. */
  predicted?: true;
  confidence?: number;
}

/**
 * A row's checkpoint between claims. `answered` providers are never asked
 * again for this row; `failed` ones are skipped until the row is retried.
 */
export interface RowState {
  values: FieldValues;
  provenance: Partial<Record<Field, Provenance>>;
  answered: string[];
  failed: Record<string, { code: RowFlagCode; message: string }>;
  attempts: Record<string, number>;
  /** The row was submitted asking for predictions where no data provider finds a value. */
  predict?: boolean;
  /** A lead's run through the pipeline (engine/pipeline/runLead.ts); absent on rows of plain enrichment jobs. */
  run?: LeadRunState;
}

/** A step that ended done or skipped: never run again for this lead, on retry, replay or restart. */
export interface StepCheckpoint {
  outcome: 'done' | 'skipped';
  output: unknown;
}

export interface LeadRunState {
  steps: Partial<Record<LeadStepName, StepCheckpoint>>;
  /** Tries of each step so far, failed ones included: the audit journal's attempt numbers. */
  attempts: Partial<Record<LeadStepName, number>>;
  /** Where the run stopped failed: a replay resumes here. */
  failedStep?: LeadStepName;
  /** The enrichment's verdict: the run's status once every later step is through. */
  enriched?: { status: RowStatus; error?: { code: RowFlagCode; message: string } };
}

export const emptyState = (): RowState => ({ values: {}, provenance: {}, answered: [], failed: {}, attempts: {} });

export function restoreState(saved: unknown): RowState {
  return saved && typeof saved === 'object' ? { ...emptyState(), ...(saved as Partial<RowState>) } : emptyState();
}
