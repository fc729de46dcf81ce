import type { RowInput, RowStatus } from '../../../shared/index.js';

/** A row as the engine hands it to storage at submission: invalid ones arrive already flagged. */
export interface NewRow {
  key: string;
  input: RowInput;
  status: Extract<RowStatus, 'pending' | 'invalid_input'>;
  errorMessage?: string;
  /** A checkpoint to start from, e.g. what the row asks for beyond its fields (predictions). */
  state?: Record<string, unknown>;
}

export type JobRecord = {
  id: string;
  workspaceId: string;
  fields: string[];
  status: 'running' | 'done' | 'cancelled';
  maxCostUsd: number | null;
  costUsd: number;
  createdAt: number;
  finishedAt: number | null;
};
