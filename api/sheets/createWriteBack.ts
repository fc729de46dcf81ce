import type { Alerts } from '../../shared/alerts.js';
import { RowFlagCodeSchema, WriteBackErrorCodeSchema, type Metrics, type SheetProgress } from '../../shared/index.js';
import type { Clock } from '../clock.js';
import { toRowResult } from '../engine/results.js';
import { CascadeError } from '../errors.js';
import type { Log } from '../log.js';
import type { Database } from '../storage/db.js';
import { rowsStore } from '../storage/rows.js';
import { writesStore } from '../storage/writes.js';
import { duplicateRef } from './columns.js';
import { Credentials } from './credentials.js';
import type { SheetsOptions } from './options.js';
import type { WriteBack } from './port.js';
import { TokenCipher } from './tokenCipher.js';
import { SheetWriter, type WriterStats } from './writer.js';

export interface WriteBackDeps {
  database: Database;
  options: SheetsOptions;
  clock: Clock;
  log: Log;
  /** GET /v1/metrics' figures; late-bound because the engine that computes them is built with this write-back. */
  metrics(workspace: string, window: string, jobId?: string): Promise<Metrics>;
  /** GET /v1/alerts' alerts and trends, late-bound likewise. */
  alerts?(workspace: string): Promise<Alerts>;
}

const ROW_NUMBER = /^[1-9]\d{0,6}$/;

/** Sheet write-back wired to the database: the writer gets the writes port. */
export function createWriteBack(deps: WriteBackDeps): WriteBack & { writer: SheetWriter; stats(): WriterStats } {
  const store = writesStore(deps.database.db);
  const rows = rowsStore(deps.database.db);
  const tokenKey = deps.options.tokenKey;
  const credentials = new Credentials(deps.options.serviceAccountKeyFile, tokenKey && new TokenCipher(tokenKey));
  const writer = new SheetWriter({
    store,
    credentials,
    metrics: deps.metrics,
    alerts: deps.alerts,
    // As GET /v1/jobs/{id} counts them.
    jobRows: async (jobId) => (await rows.count(jobId)).total,
    toResult: (r, fields) =>
      toRowResult(
        r.key,
        r.status,
        r.state,
        fields,
        r.errorCode ? { code: RowFlagCodeSchema.catch('internal').parse(r.errorCode), message: r.errorMessage ?? '' } : undefined,
      ),
    options: deps.options,
    clock: deps.clock,
    log: deps.log,
  });

  function checkKeys(headerRow: number, rows: { key: string }[], path: string): void {
    rows.forEach((r, i) => {
      if (!ROW_NUMBER.test(r.key) || Number(r.key) <= headerRow) {
        throw new CascadeError(
          'invalid_body',
          `with a sheet target, a row key is its sheet row number below the header row ${headerRow}; got "${r.key}"`,
          `${path}[${i}].key`,
        );
      }
    });
  }

  async function requireTarget(jobId: string) {
    const t = await store.findTarget(jobId);
    if (!t) throw new CascadeError('not_found', `job ${jobId} has no sheet target`, 'id');
    return t;
  }

  return {
    writer,
    /** The writer's running totals (requests by purpose, retries, quota waits), for GET /metrics. */
    stats: () => writer.stats,
    async attach(job, target, accessToken, rows) {
      if (!accessToken && !credentials.hasServiceAccount) {
        throw new CascadeError(
          'invalid_body',
          'a sheet target needs googleAccessToken (the user’s OAuth token), or a service account on the server (GOOGLE_APPLICATION_CREDENTIALS)',
          'googleAccessToken',
        );
      }
      const dup = duplicateRef(job.fields, target.columns, target.statusColumn);
      if (dup) throw new CascadeError('invalid_body', `two outputs would share the column "${dup}"`, 'sheet.columns');
      checkKeys(target.headerRow, rows, 'rows');
      await store.insertTarget({
        jobId: job.id,
        workspaceId: job.workspaceId,
        spreadsheetId: target.spreadsheetId,
        sheetName: target.sheetName,
        headerRow: target.headerRow,
        columns: target.columns,
        statusColumn: target.statusColumn,
        credential: accessToken ? 'oauth' : 'service_account',
        userKey: target.userKey ?? null,
        createdAt: deps.clock.now(),
        token: accessToken ? credentials.setToken(job.id, accessToken) : null,
      });
    },
    async detach(jobId) {
      credentials.forget(jobId);
      await store.deleteTarget(jobId);
    },
    async checkRows(jobId, rows, path) {
      const t = await store.findTarget(jobId);
      if (t) checkKeys(t.headerRow, rows, path);
    },
    async setToken(jobId, accessToken) {
      const t = await requireTarget(jobId);
      if (t.credential !== 'oauth')
        throw new CascadeError('invalid_body', 'this job writes with the server’s service account; it takes no token', 'accessToken');
      await store.saveToken(jobId, credentials.setToken(jobId, accessToken));
      await store.resume(jobId);
      writer.wake();
    },
    async resume(jobId) {
      if (!(await store.findTarget(jobId))) return;
      await store.resume(jobId);
      writer.wake();
    },
    async progress(job): Promise<SheetProgress | undefined> {
      const t = await store.findTarget(job.id);
      if (!t) return undefined;
      const counts = await store.progress(job.id);
      // Waiting for a token once the writer said it has none: without CASCADE_TOKEN_KEY the instance answering may
      // lack a token that the instance writing holds.
      const waiting = t.paused || (t.lastErrorCode === 'google_unauthorized' && !credentials.for(t));
      const settled = t.settledAt !== null && job.status !== 'running' && (job.finishedAt === null || t.settledAt >= job.finishedAt);
      return {
        state: settled ? 'done' : waiting ? 'paused' : 'writing',
        ...counts,
        lastError:
          t.lastErrorCode && t.lastErrorAt !== null
            ? {
                code: WriteBackErrorCodeSchema.catch('internal').parse(t.lastErrorCode),
                message: t.lastErrorMessage ?? '',
                at: new Date(t.lastErrorAt).toISOString(),
              }
            : null,
      };
    },
    start: (membership) => writer.start(membership),
    stop: () => writer.stop(),
  };
}
