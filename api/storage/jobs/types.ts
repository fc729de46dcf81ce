import type { Field, RowInput, RowStatus } from '../../../shared/index.js';

/** A row as the engine hands it to storage at submission: invalid ones arrive already flagged. */
export interface NewRow<State extends object = object> {
  key: string;
  input: RowInput;
  /** Rows arrive pending, flagged invalid, or already finished from the cache. */
  status: Exclude<RowStatus, 'running'>;
  errorCode?: string;
  errorMessage?: string;
  /** A checkpoint to start from, e.g. what the row asks for beyond its fields (predictions). */
  state?: State;
}

export type JobRecord = {
  id: string;
  workspaceId: string;
  fields: Field[];
  status: 'running' | 'done' | 'cancelled';
  maxCostUsd: number | null;
  costUsd: number;
  createdAt: number;
  finishedAt: number | null;
};
