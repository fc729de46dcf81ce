import type { Field, RowFlagCode } from '../../shared/index.js';
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
}

export const emptyState = (): RowState => ({ values: {}, provenance: {}, answered: [], failed: {}, attempts: {} });

export function restoreState(saved: unknown): RowState {
  return saved && typeof saved === 'object' ? { ...emptyState(), ...(saved as Partial<RowState>) } : emptyState();
}
