// The Sheets API alone, not the googleapis index: that loads every Google API (about 60 MB of heap we would carry for nothing).
import type { Alerts } from '../../shared/alerts.js';
import * as google from 'googleapis/build/src/apis/sheets/index.js';
import type { sheets_v4 } from 'googleapis/build/src/apis/sheets/index.js';
import type { Field, Metrics, RowResult } from '../../shared/index.js';
import { sleep, type Clock } from '../clock.js';
import { SerialTask } from '../engine/serialTask.js';
import type { Log } from '../log.js';
import type { SheetLayout } from '../storage/schema/index.js';
import type { ActiveTarget, PendingWrite, WritesStore } from '../storage/writes.js';
import { quoteSheet } from './a1.js';
import { planColumns } from './columns.js';
import type { Credentials, GoogleAuthClient, GoogleCredential } from './credentials.js';
import { DASHBOARD_MARKER, DASHBOARD_ROWS, DASHBOARD_TITLE, DASHBOARD_VERSION, dashboardSetup, dashboardValues } from './dashboard.js';
import { SheetsFailure, classify } from './failure.js';
import type { SheetsOptions } from './options.js';
import { QuotaScheduler, type QuotaSlot, type QuotaTicket } from './quota.js';
import { rowCells } from './rowCells.js';
import { statusFormatRequests } from './statusText.js';
import { doublingBackoff } from '../flow/backoff.js';
import { shareOf } from '../flow/clusterFlow.js';
import { userShares, userWriters } from './userShares.js';
import type { WriterMembership } from './port.js';

/** What the writer may do to the database (the sheet-writes port); it never writes SQL itself. */
export type WriterStore = Pick<
  WritesStore,
  | 'activeTargets'
  | 'claimTargets'
  | 'renewTargets'
  | 'releaseTargets'
  | 'beginWrite'
  | 'endWrite'
  | 'dropToken'
  | 'saveLayout'
  | 'recordError'
  | 'clearError'
  | 'settle'
  | 'unanchored'
  | 'markAnchored'
  | 'pending'
  | 'markOrphaned'
>;

export interface WriterDeps {
  store: WriterStore;
  credentials: Credentials;
  /** The figures of GET /v1/metrics, for the dashboard tab. */
  metrics(workspace: string, window: string, jobId?: string): Promise<Metrics>;
  /** GET /v1/alerts' alerts and trends, for the dashboard's top lines, week-over-week lines and daily chart. */
  alerts?(workspace: string): Promise<Alerts>;
  /** The job's row count (GET /v1/jobs/{id}'s counts.total), for the dashboard's totals. */
  jobRows?(jobId: string): Promise<number>;
  toResult(row: PendingWrite, fields: readonly Field[]): RowResult;
  options: SheetsOptions;
  clock: Clock;
  log: Log;
  random?: () => number;
}

interface Ctx {
  t: ActiveTarget;
  fields: Field[];
  api: sheets_v4.Sheets;
  cred: GoogleCredential;
  ticket: QuotaTicket;
}

/** Per-row developer metadata key: one per job, the row's key as value. */
export const rowMetadataKey = (jobId: string) => `cascade.row.${jobId}`;
const STATUS_FORMAT_MARKER = 'cascade.statusFormat';
// A createDeveloperMetadata request for one row is about this many bytes of JSON.
const ANCHOR_BYTES = 260;
const DAY = 86_400_000;

/** Figures the benchmark reports. */
export interface WriterStats {
  reads: number;
  anchorRequests: number;
  writeRequests: number;
  dashboardRequests: number;
  setupRequests: number;
  rowsWritten: number;
  retries: number;
  quotaWaitMs: number;
  /** Rows of a request in doubt at a takeover that Google was found to hold already: recorded written, not sent again. */
  rowsFoundWritten: number;
}

/** This writer no longer holds the job's lease: another member writes it now. */
class LeaseLost extends Error {}

/**
 * Writes finished rows into their sheets. One task per job at a time; every
 * request takes a slot from the fair quota schedulers first, and a row is
 * marked written only once Google accepted it. A job's rows are anchored
 * (row developer metadata) as soon as it is seen, so results follow rows
 * the user sorts, inserts or deletes; a row whose anchor is gone is orphaned,
 * never written elsewhere.
 *
 * In a cluster every instance runs a writer, and a job is written by the
 * one holding its target's lease (schema/writes.ts): a writer takes free
 * leases at each pass, renews its own every third of `leaseMs`, and hands
 * them back at a clean stop. One whose holder was declared dead is free
 * as soon as the cluster removed that member, not when the lease runs out.
 * Each row write is begun under the lease in the database (beginWrite,
 * which records its rows as in doubt); a writer that lost the lease sends
 * nothing more, and one that takes over reads the rows in doubt back from
 * the sheet rather than writing them twice.
 *
 * Google's quotas are per project and per user, whichever instance sends,
 * so each writer keeps its share of both, as the providers' gates do (no
 * database round trip per request; shareOf: the remainder to the first ids,
 * so the shares sum to the quota). The project's is split ÷ live members.
 * A user's is split only among the members writing that user's jobs, as the
 * leases read at each pass show: most of the time one member writes a
 * user's jobs, and keeps the whole of it. Shares are per-minute figures set
 * again when who is alive or who writes changes, so for the minute after a
 * change the members' requests may sum past a quota (the window each one
 * counted was under its old share); Google then answers 429 and the request
 * is retried after a backoff, as with any 429.
 */
export class SheetWriter {
  readonly writes: QuotaScheduler;
  readonly reads: QuotaScheduler;
  readonly stats: WriterStats = {
    reads: 0,
    anchorRequests: 0,
    writeRequests: 0,
    dashboardRequests: 0,
    setupRequests: 0,
    rowsWritten: 0,
    retries: 0,
    quotaWaitMs: 0,
    rowsFoundWritten: 0,
  };
  /** The targets this writer holds the lease of, as of its last pass or renewal. */
  private held = new Set<string>();
  private membership: WriterMembership | undefined;
  private sharedBy = '';
  private renewTimer: NodeJS.Timeout | undefined;
  private readonly busy = new Map<string, Promise<void>>();
  private readonly firstPendingAt = new Map<string, number>();
  private readonly lastDashboard = new Map<string, number>();
  private readonly lastWrite = new Map<string, number>();
  private readonly dashboards = new Map<string, number>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly apis = new WeakMap<GoogleAuthClient, sheets_v4.Sheets>();
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly passes = new SerialTask(
    () => this.tick(),
    (err) => this.deps.log('sheet writer error', { err: String(err) }),
  );

  constructor(private readonly deps: WriterDeps) {
    const o = deps.options;
    this.writes = new QuotaScheduler({ perUser: o.writesPerMinutePerUser, perProject: o.writesPerMinutePerProject, windowMs: o.quotaWindowMs }, deps.clock);
    this.reads = new QuotaScheduler({ perUser: o.readsPerMinutePerUser, perProject: o.readsPerMinutePerProject, windowMs: o.quotaWindowMs }, deps.clock);
  }

  start(membership: WriterMembership): void {
    this.membership = membership;
    this.timer = setInterval(() => this.wake(), this.deps.options.pollMs);
    this.renewTimer = setInterval(() => void this.renew(), this.deps.options.leaseMs / 3);
    this.wake();
  }

  /** Stops starting work and waits for requests in flight, then hands its leases back; rows not yet accepted stay pending in the database. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.renewTimer);
    this.stopping.abort(new Error('shutting down'));
    await Promise.allSettled([...this.busy.values()]);
    this.writes.close();
    this.reads.close();
    if (this.membership) await this.deps.store.releaseTargets(this.membership.memberId);
  }

  private async renew(): Promise<void> {
    try {
      this.held = new Set(await this.deps.store.renewTargets(this.member, this.deps.options.leaseMs));
    } catch (err) {
      // The next pass claims again what is still free; a lease lost meanwhile stops its writes at beginWrite.
      this.deps.log('sheet writer lease renewal failed', { err: String(err) });
    }
  }

  private get member(): string {
    if (!this.membership) throw new Error('sheet writer not started');
    return this.membership.memberId;
  }

  /** Sets both schedulers to this member's share of Google's per-project quotas, when who is alive changed. */
  private share(): void {
    const live = this.membership!.liveMembers();
    const key = [...live].sort().join();
    if (key === this.sharedBy) return;
    this.sharedBy = key;
    const o = this.deps.options;
    const part = (total: number) => shareOf(total, live, this.member);
    this.writes.setLimits({ perUser: o.writesPerMinutePerUser, perProject: part(o.writesPerMinutePerProject) });
    this.reads.setLimits({ perUser: o.readsPerMinutePerUser, perProject: part(o.readsPerMinutePerProject) });
  }

  /**
   * Splits each user's quota among the members writing that user's jobs (this
   * one's, the leases it holds; another's, an unexpired lease): a user whose
   * jobs only this member writes keeps the whole quota here.
   */
  private shareUsers(targets: ActiveTarget[]): void {
    const writers = userWriters(
      targets,
      this.member,
      (t) => this.held.has(t.jobId),
      (t) => this.deps.credentials.userOf(t),
    );
    const o = this.deps.options;
    this.writes.setUserLimits(userShares(writers, o.writesPerMinutePerUser, this.member));
    this.reads.setUserLimits(userShares(writers, o.readsPerMinutePerUser, this.member));
  }

  wake(): void {
    if (!this.stopping.signal.aborted) this.passes.wake();
  }

  private async tick(): Promise<void> {
    this.share();
    const self = this.member;
    const targets = (await this.deps.store.activeTargets()).filter((t) => !t.paused);
    // A target waiting for a token (its error says so) is taken only by a writer that has one for it: without
    // CASCADE_TOKEN_KEY the instance that received the token, with it any instance whose key opens the stored one.
    const free = targets.filter(
      (t) => t.claimable && !this.busy.has(t.jobId) && (t.lastErrorCode !== 'google_unauthorized' || this.deps.credentials.for(t) !== undefined),
    );
    const won = free.length
      ? await this.deps.store.claimTargets(
          free.map((t) => t.jobId),
          self,
          this.deps.options.leaseMs,
        )
      : [];
    for (const t of targets) {
      const claimed = won.find((w) => w.jobId === t.jobId);
      if (claimed) t.inDoubt = claimed.inDoubt;
      // What the database says at each pass, so a renewal that raced a claim leaves nothing held unknown for long.
      if (claimed || (t.writerId === self && !t.claimable)) this.held.add(t.jobId);
      else this.held.delete(t.jobId);
      if (!this.held.has(t.jobId) || this.busy.has(t.jobId) || this.stopping.signal.aborted) continue;
      const task = this.run(t).finally(() => this.busy.delete(t.jobId));
      this.busy.set(t.jobId, task);
    }
    this.shareUsers(targets);
  }

  private async run(t: ActiveTarget): Promise<void> {
    const { store, credentials, clock } = this.deps;
    const cred = credentials.for(t);
    if (!cred) {
      if (t.lastErrorCode !== 'google_unauthorized') {
        await store.recordError(t.jobId, { code: 'google_unauthorized', message: credentials.missing(t), paused: false }, clock.now());
      }
      // Handed back, for a member that has a token for the job to take.
      this.held.delete(t.jobId);
      await store.releaseTargets(this.member, [t.jobId]);
      return;
    }
    const ctx: Ctx = { t, fields: t.fields, api: this.api(cred.auth), cred, ticket: { workspace: t.workspaceId, user: cred.user } };
    try {
      const layout = t.layout ?? (await this.lock(t.spreadsheetId, () => this.prepare(ctx)));
      if (t.inDoubt) await this.resolveDoubt(ctx, layout, t.inDoubt);
      await this.anchorAll(ctx, layout);
      while (await this.due(ctx)) await this.write(ctx, layout);
      const settling = t.jobStatus !== 'running' && (await store.unanchored(t.jobId, 1)).length === 0 && (await store.pending(t.jobId, 1)).length === 0;
      if (settling || this.dashboardDue(t.jobId)) await this.refreshDashboard(ctx);
      if (settling) await store.settle(t.jobId, clock.now());
      else if (t.lastErrorCode) await store.clearError(t.jobId);
    } catch (err) {
      if (this.stopping.signal.aborted) return;
      if (err instanceof LeaseLost) {
        this.held.delete(t.jobId);
        this.deps.log('sheet writer lease lost; another member writes the job', { job: t.jobId });
        return;
      }
      await this.failed(ctx, classify(err));
    }
  }

  /**
   * The member before this one began a write request and was not heard of
   * after (it died, or stalled past its lease): Google may hold those rows
   * or not. They are read back by their anchors, and each row whose cells
   * are what would be written (at the version in doubt, still its latest)
   * is recorded written; the rest stay pending and are written as usual.
   */
  private async resolveDoubt(ctx: Ctx, layout: SheetLayout, doubt: { seq: number; version: number }[]): Promise<void> {
    const { t, api, fields } = ctx;
    const versions = new Map(doubt.map((d) => [d.seq, d.version]));
    const rows = (await this.deps.store.pending(t.jobId, this.deps.options.maxRowsPerRequest)).filter((r) => versions.get(r.seq) === r.version);
    let found: PendingWrite[] = [];
    if (rows.length) {
      const key = rowMetadataKey(t.jobId);
      const res = await this.call(ctx, 'read', () =>
        api.spreadsheets.values.batchGetByDataFilter({
          spreadsheetId: t.spreadsheetId,
          requestBody: {
            dataFilters: rows.map((r) => ({ developerMetadataLookup: { metadataKey: key, metadataValue: r.key, locationType: 'ROW' } })),
            majorDimension: 'ROWS',
            valueRenderOption: 'UNFORMATTED_VALUE',
          },
        }),
      );
      const cells = new Map<string, unknown[]>();
      for (const v of res.data.valueRanges ?? []) {
        const k = v.dataFilters?.[0]?.developerMetadataLookup?.metadataValue;
        if (k != null) cells.set(k, v.valueRange?.values?.[0] ?? []);
      }
      found = rows.filter((r) => {
        const have = cells.get(r.key);
        return have !== undefined && rowCells(this.deps.toResult(r, fields), fields, layout).every((c, i) => c === null || have[i] === c);
      });
    }
    await this.deps.store.endWrite(
      t.jobId,
      this.member,
      found.map((r) => ({ seq: r.seq, version: r.version })),
    );
    this.stats.rowsFoundWritten += found.length;
    this.deps.log('sheet write in doubt at a takeover, read back', { job: t.jobId, inDoubt: doubt.length, foundWritten: found.length });
  }

  private async failed(ctx: Ctx, f: SheetsFailure): Promise<void> {
    const { t } = ctx;
    if (f.kind === 'unauthorized' && ctx.cred.token) this.deps.credentials.dropToken(t.jobId, ctx.cred.token);
    if (f.kind === 'unauthorized' && ctx.cred.sealed) await this.deps.store.dropToken(t.jobId, ctx.cred.sealed);
    // A write past the grid means the sheet changed shape (columns deleted): place the columns again.
    if (f.kind === 'grid') await this.deps.store.saveLayout(t.jobId, null);
    await this.deps.store.recordError(t.jobId, { code: f.code, message: f.message, paused: f.pauses }, this.deps.clock.now());
    this.deps.log('sheet write stopped', { job: t.jobId, code: f.code, message: f.message });
  }

  private api(auth: GoogleAuthClient): sheets_v4.Sheets {
    let api = this.apis.get(auth);
    if (!api) {
      const o = this.deps.options;
      // Retries are ours (quota-aware, fair); the client's own would spend quota behind the scheduler's back.
      api = google.sheets({ version: 'v4', auth, retry: false, timeout: o.requestTimeoutMs, ...(o.rootUrl ? { rootUrl: o.rootUrl } : {}) });
      this.apis.set(auth, api);
    }
    return api;
  }

  /** Serialises work on one spreadsheet's structure, so two jobs never both add the same column or dashboard. */
  private lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.locks.set(key, next);
    return next.finally(() => {
      if (this.locks.get(key) === next) this.locks.delete(key);
    });
  }

  /** One request under quota, retried with backoff on 429 and 5xx; anything else is thrown, classified. */
  private call<T>(ctx: Ctx, kind: 'read' | 'write', request: () => Promise<T>): Promise<T> {
    return this.prepared(ctx, kind, (send) => send(request));
  }

  /**
   * Like `call`, for a request built once its slot is ours: `fn` may read
   * first and then `send` (the request is counted from then), or send nothing.
   */
  private async prepared<T>(ctx: Ctx, kind: 'read' | 'write', fn: (send: QuotaSlot['send']) => Promise<T>): Promise<T> {
    const { options, random = Math.random, clock } = this.deps;
    const scheduler = kind === 'read' ? this.reads : this.writes;
    for (let attempt = 1; ; attempt++) {
      // Anchors, columns and the dashboard are written only by the lease's holder too (row writes check it in the database).
      if (kind === 'write' && !this.held.has(ctx.t.jobId)) throw new LeaseLost();
      const asked = clock.now();
      const slot = await scheduler.acquire(ctx.ticket, this.stopping.signal);
      this.stats.quotaWaitMs += clock.now() - asked;
      if (kind === 'read') this.stats.reads++;
      try {
        return await fn((request) => slot.send(request));
      } catch (err) {
        slot.release();
        if (err instanceof LeaseLost) throw err;
        const f = classify(err);
        if ((f.kind !== 'quota' && f.kind !== 'transient') || attempt >= options.maxAttempts) throw f;
        const ms = doublingBackoff(attempt, options.backoffMs, random);
        if (f.kind === 'quota') scheduler.holdOff(ctx.ticket.user, ms);
        this.stats.retries++;
        await sleep(ms, this.stopping.signal);
      } finally {
        // A slot whose holder sent nothing goes back; one that was sent stays counted.
        slot.release();
      }
    }
  }

  /** First contact: find the tab, place the columns (adding headers and grid columns), format the status column once per sheet. */
  private async prepare(ctx: Ctx): Promise<SheetLayout> {
    const { t, api } = ctx;
    const book = await this.call(ctx, 'read', () => api.spreadsheets.get({ spreadsheetId: t.spreadsheetId, fields: 'sheets(properties,developerMetadata)' }));
    const sheet = book.data.sheets?.find((s) => s.properties?.title === t.sheetName);
    const props = sheet?.properties;
    if (!props || props.sheetId == null) throw new SheetsFailure('not_found', `no tab named "${t.sheetName}" in the spreadsheet`);
    const sheetId = props.sheetId;
    const headerRange = `${quoteSheet(t.sheetName)}!${t.headerRow}:${t.headerRow}`;
    const header = await this.call(ctx, 'read', () => api.spreadsheets.values.get({ spreadsheetId: t.spreadsheetId, range: headerRange }));
    const plan = planColumns((header.data.values?.[0] ?? []).map(String), ctx.fields, t.columns, t.statusColumn);
    const columnCount = props.gridProperties?.columnCount ?? 0;
    const requests: sheets_v4.Schema$Request[] = [];
    if (plan.width > columnCount) requests.push({ appendDimension: { sheetId, dimension: 'COLUMNS', length: plan.width - columnCount } });
    for (const h of plan.headers) {
      // stringValue is literal: a header the user typed as "=x" stays text.
      requests.push({
        updateCells: {
          start: { sheetId, rowIndex: t.headerRow - 1, columnIndex: h.col },
          rows: [{ values: [{ userEnteredValue: { stringValue: h.text } }] }],
          fields: 'userEnteredValue',
        },
      });
    }
    const formatted = sheet.developerMetadata?.some((m) => m.metadataKey === STATUS_FORMAT_MARKER && m.metadataValue === String(plan.status));
    if (!formatted) {
      requests.push(...statusFormatRequests(sheetId, t.headerRow, plan.status));
      requests.push({
        createDeveloperMetadata: {
          developerMetadata: { metadataKey: STATUS_FORMAT_MARKER, metadataValue: String(plan.status), location: { sheetId }, visibility: 'DOCUMENT' },
        },
      });
    }
    if (requests.length) {
      this.stats.setupRequests++;
      await this.call(ctx, 'write', () => api.spreadsheets.batchUpdate({ spreadsheetId: t.spreadsheetId, requestBody: { requests } }));
    }
    const layout: SheetLayout = { sheetId, fields: plan.fields, status: plan.status, width: plan.width, rowCount: props.gridProperties?.rowCount ?? 0 };
    await this.deps.store.saveLayout(t.jobId, layout);
    return layout;
  }

  /** Anchors every row not yet anchored, growing the grid first when a row is past its end. */
  private async anchorAll(ctx: Ctx, layout: SheetLayout): Promise<void> {
    const { t, api } = ctx;
    const per = Math.max(1, Math.min(this.deps.options.maxRowsPerRequest, Math.floor(this.deps.options.maxRequestBytes / ANCHOR_BYTES)));
    for (;;) {
      const batch = await this.deps.store.unanchored(t.jobId, per);
      if (batch.length === 0) return;
      const maxRow = Math.max(...batch.map((r) => Number(r.key)));
      const requests: sheets_v4.Schema$Request[] = [];
      if (maxRow > layout.rowCount) requests.push({ appendDimension: { sheetId: layout.sheetId, dimension: 'ROWS', length: maxRow - layout.rowCount } });
      for (const r of batch) {
        const row = Number(r.key);
        requests.push({
          createDeveloperMetadata: {
            developerMetadata: {
              metadataKey: rowMetadataKey(t.jobId),
              metadataValue: r.key,
              location: { dimensionRange: { sheetId: layout.sheetId, dimension: 'ROWS', startIndex: row - 1, endIndex: row } },
              visibility: 'DOCUMENT',
            },
          },
        });
      }
      this.stats.anchorRequests++;
      await this.call(ctx, 'write', () => api.spreadsheets.batchUpdate({ spreadsheetId: t.spreadsheetId, requestBody: { requests } }));
      if (maxRow > layout.rowCount) {
        layout.rowCount = maxRow;
        await this.deps.store.saveLayout(t.jobId, layout);
      }
      await this.deps.store.markAnchored(
        t.jobId,
        batch.map((r) => r.seq),
        this.deps.clock.now(),
      );
    }
  }

  /** Whether to write now: enough rows for a large request, the first has waited long enough, or the job stopped running. */
  private async due(ctx: Ctx): Promise<boolean> {
    const { t } = ctx;
    const o = this.deps.options;
    const peek = await this.deps.store.pending(t.jobId, o.minRowsPerRequest);
    if (peek.length === 0) {
      this.firstPendingAt.delete(t.jobId);
      return false;
    }
    const now = this.deps.clock.now();
    const first = this.firstPendingAt.get(t.jobId) ?? now;
    this.firstPendingAt.set(t.jobId, first);
    return peek.length >= o.minRowsPerRequest || t.jobStatus !== 'running' || now - first >= o.maxDelayMs;
  }

  /** One values.batchUpdateByDataFilter with as many finished rows as fit, each found by its anchor. */
  private async write(ctx: Ctx, layout: SheetLayout): Promise<void> {
    const { t, api, fields } = ctx;
    const o = this.deps.options;
    const key = rowMetadataKey(t.jobId);
    // Rows are read after the quota slot is ours: whatever finished while waiting goes in the same request.
    const sent = await this.prepared(ctx, 'write', async (send) => {
      const rows = await this.deps.store.pending(t.jobId, o.maxRowsPerRequest);
      const data: sheets_v4.Schema$DataFilterValueRange[] = [];
      const taken: PendingWrite[] = [];
      let bytes = 100;
      for (const r of rows) {
        const entry = {
          dataFilter: { developerMetadataLookup: { metadataKey: key, metadataValue: r.key, locationType: 'ROW' } },
          majorDimension: 'ROWS',
          values: [rowCells(this.deps.toResult(r, fields), fields, layout)],
        };
        const size = JSON.stringify(entry).length + 1;
        if (data.length > 0 && bytes + size > o.maxRequestBytes) break;
        data.push(entry);
        taken.push(r);
        bytes += size;
      }
      if (data.length === 0) return { taken, matched: new Set<string>() };
      if (
        !(await this.deps.store.beginWrite(
          t.jobId,
          this.member,
          taken.map((r) => ({ seq: r.seq, version: r.version })),
        ))
      )
        throw new LeaseLost();
      this.stats.writeRequests++;
      const res = await send(() =>
        api.spreadsheets.values.batchUpdateByDataFilter({ spreadsheetId: t.spreadsheetId, requestBody: { valueInputOption: 'RAW', data } }),
      );
      const matched = new Set<string>();
      for (const r of res.data.responses ?? []) {
        const v = r.dataFilter?.developerMetadataLookup?.metadataValue;
        if (v != null && (r.updatedCells ?? 0) > 0) matched.add(v);
      }
      return { taken, matched };
    });
    this.firstPendingAt.delete(t.jobId);
    const written = sent.taken.filter((r) => sent.matched.has(r.key));
    const lost = sent.taken.filter((r) => !sent.matched.has(r.key));
    await this.deps.store.endWrite(
      t.jobId,
      this.member,
      written.map((r) => ({ seq: r.seq, version: r.version })),
    );
    this.stats.rowsWritten += written.length;
    if (written.length) this.lastWrite.set(t.jobId, this.deps.clock.now());
    if (lost.length) await this.orphan(ctx, layout, lost);
  }

  /** Rows whose anchor matched nothing: orphans if their row was deleted; if the whole tab is gone, writing pauses instead. */
  private async orphan(ctx: Ctx, layout: SheetLayout, lost: PendingWrite[]): Promise<void> {
    const { t, api } = ctx;
    const book = await this.call(ctx, 'read', () => api.spreadsheets.get({ spreadsheetId: t.spreadsheetId, fields: 'sheets.properties(sheetId,title)' }));
    if (!book.data.sheets?.some((s) => s.properties?.sheetId === layout.sheetId)) {
      throw new SheetsFailure(
        'not_found',
        `the tab "${t.sheetName}" was deleted; restore it (Undo, or File > Version history) and resume the job to write the remaining rows`,
      );
    }
    await this.deps.store.markOrphaned(
      t.jobId,
      lost.map((r) => r.seq),
    );
    this.deps.log('sheet rows orphaned (their rows were deleted)', { job: t.jobId, rows: lost.length });
  }

  private dashboardDue(jobId: string): boolean {
    const wrote = this.lastWrite.get(jobId);
    const shown = this.lastDashboard.get(jobId);
    return wrote !== undefined && (shown === undefined || (wrote > shown && this.deps.clock.now() - shown >= this.deps.options.dashboardEveryMs));
  }

  /** Writes the dashboard tab (creating it, its formats and charts on first use) with the figures of GET /v1/metrics. */
  private async refreshDashboard(ctx: Ctx): Promise<void> {
    const { t, api } = ctx;
    const sheetId = await this.lock(t.spreadsheetId, () => this.dashboardTab(ctx));
    const now = this.deps.clock.now();
    const days = Math.max(7, Math.ceil((now - t.jobCreatedAt) / DAY) + 1);
    const [job, week, alerts, rows] = await Promise.all([
      this.deps.metrics(t.workspaceId, `${days}d`, t.jobId),
      this.deps.metrics(t.workspaceId, '7d'),
      this.deps.alerts?.(t.workspaceId),
      this.deps.jobRows?.(t.jobId),
    ]);
    const values = dashboardValues({ jobId: t.jobId, rows: rows ?? null, job, week, alerts, now });
    this.stats.dashboardRequests++;
    try {
      await this.call(ctx, 'write', () =>
        api.spreadsheets.values.batchUpdateByDataFilter({
          spreadsheetId: t.spreadsheetId,
          requestBody: {
            valueInputOption: 'RAW',
            data: [{ dataFilter: { gridRange: { sheetId, startRowIndex: 0, endRowIndex: DASHBOARD_ROWS } }, majorDimension: 'ROWS', values }],
          },
        }),
      );
    } catch (err) {
      // The user deleted the dashboard tab: make it again next time; the rows matter more than the figures.
      if (classify(err).kind !== 'not_found') throw err;
      this.dashboards.delete(t.spreadsheetId);
    }
    this.lastDashboard.set(t.jobId, now);
  }

  private async dashboardTab(ctx: Ctx): Promise<number> {
    const { t, api } = ctx;
    const known = this.dashboards.get(t.spreadsheetId);
    if (known !== undefined) return known;
    const book = await this.call(ctx, 'read', () => api.spreadsheets.get({ spreadsheetId: t.spreadsheetId, fields: 'sheets(properties,developerMetadata)' }));
    const tab = book.data.sheets?.find((s) => s.properties?.title === DASHBOARD_TITLE || s.developerMetadata?.some((m) => m.metadataKey === DASHBOARD_MARKER));
    let sheetId = tab?.properties?.sheetId ?? undefined;
    // A tab an earlier version made (its marker says another layout: fewer rows, other charts) is Cascade's own, so it is
    // made again. A tab that only has the title is the user's: written into as it is, never deleted.
    const marker = tab?.developerMetadata?.find((m) => m.metadataKey === DASHBOARD_MARKER);
    if (sheetId == null || (marker && marker.metadataValue !== DASHBOARD_VERSION)) {
      const old = sheetId;
      const taken = new Set(book.data.sheets?.map((s) => s.properties?.sheetId));
      do sheetId = 1 + Math.floor((this.deps.random ?? Math.random)() * 2_000_000_000);
      while (taken.has(sheetId));
      this.stats.setupRequests++;
      const requests = [...(old == null ? [] : [{ deleteSheet: { sheetId: old } }]), ...dashboardSetup(sheetId)] as sheets_v4.Schema$Request[];
      await this.call(ctx, 'write', () => api.spreadsheets.batchUpdate({ spreadsheetId: t.spreadsheetId, requestBody: { requests } }));
    }
    this.dashboards.set(t.spreadsheetId, sheetId);
    return sheetId;
  }
}
