import type { Field, SheetProgress, SheetTarget } from '../../shared/index.js';

/** Who this instance is in the cluster (api/engine/cluster.ts): its member id, and the live members' ids as of the last heartbeat. */
export interface WriterMembership {
  memberId: string;
  liveMembers(): readonly string[];
}

/** What the engine asks of sheet write-back. The engine holds no Google client and no token: all of that is behind this. */
export interface WriteBack {
  /** Checks a new job's target and rows and records the target (before the job, so the job never exists without it). */
  attach(
    job: { id: string; workspaceId: string; fields: Field[] },
    target: SheetTarget,
    accessToken: string | undefined,
    rows: { key: string }[],
  ): Promise<void>;
  /** Drops a target recorded for a job that was not created (an idempotent repeat answered with the first job). */
  detach(jobId: string): Promise<void>;
  /** Refuses appended rows whose key is not a sheet row number below the header. */
  checkRows(jobId: string, rows: { key: string }[], path: string): Promise<void>;
  /** A fresh OAuth token: writing resumes with it. Throws not_found for a job without a sheet. */
  setToken(jobId: string, accessToken: string): Promise<void>;
  /** The job was resumed (retry): writing paused by a deleted tab or lost access is tried again. */
  resume(jobId: string): Promise<void>;
  progress(job: { id: string; status: string; finishedAt: number | null }): Promise<SheetProgress | undefined>;
  /** Starts writing, as this member of the cluster: it writes only the targets whose writer lease it holds. */
  start(membership: WriterMembership): void;
  stop(): Promise<void>;
}
