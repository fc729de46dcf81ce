import type { sheetTargets } from '../schema/index.js';

export type SheetTargetRecord = typeof sheetTargets.$inferSelect;
export type NewSheetTarget = Omit<typeof sheetTargets.$inferInsert, 'layout' | 'paused' | 'lastErrorCode' | 'lastErrorMessage' | 'lastErrorAt' | 'settledAt'>;

/** A target with what the writer needs of its job. */
export type ActiveTarget = SheetTargetRecord & {
  jobStatus: 'running' | 'done' | 'cancelled';
  fields: string[];
  jobFinishedAt: number | null;
  jobCreatedAt: number;
};

/** A finished row to write, at the version (`rows.updated_at`) read. */
export interface PendingWrite {
  seq: number;
  key: string;
  status: string;
  state: unknown;
  errorCode: string | null;
  errorMessage: string | null;
  version: number;
}
