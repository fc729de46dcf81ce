import type { MessagePort } from 'node:worker_threads';

/**
 * Messages between the host (main thread: the spreadsheet, the stores, real
 * HTTP) and a worker running one Apps Script execution. A worker calls the
 * host synchronously, as Apps Script services are synchronous: it posts on
 * its own port, sleeps on a shared flag, and reads the answer with
 * receiveMessageOnPort once the host raises the flag.
 */
export type CellValue = string | number | boolean;
export type PropertyStore = 'user' | 'script';
export type LockKind = 'user';

/** How the execution was started, which decides what it may call (as in Apps Script). */
export type Mode = 'full' | 'simpleTrigger' | 'customFunction';

export interface RangeRef {
  sheetId: number;
  row: number;
  column: number;
  rows: number;
  columns: number;
}

export interface FetchRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  contentType?: string;
  payload?: string;
  muteHttpExceptions?: boolean;
}

export interface FetchReply {
  status: number;
  body: string;
}

/** Each operation: [argument, result]. */
export interface Ops {
  'ss.id': [null, string];
  'ss.active': [null, number];
  'ss.sheets': [null, number[]];
  'ss.byName': [{ name: string }, number | null];
  'sheet.name': [{ sheetId: number }, string];
  'sheet.lastRow': [{ sheetId: number }, number];
  'sheet.lastColumn': [{ sheetId: number }, number];
  'sheet.activate': [{ sheetId: number }, null];
  /** The tab's selection while it is the active tab, else null (Sheet.getActiveRange). */
  'sheet.activeRange': [{ sheetId: number }, RangeRef | null];
  'range.get': [RangeRef, CellValue[][]];
  'ui.menu': [{ title: string; items: { caption: string; functionName: string }[] }, null];
  'ui.sidebar': [{ title: string; html: string }, null];
  'props.get': [{ store: PropertyStore; key: string }, string | null];
  'props.set': [{ store: PropertyStore; key: string; value: string }, null];
  'props.delete': [{ store: PropertyStore; key: string }, null];
  'props.keys': [{ store: PropertyStore }, string[]];
  'cache.getAll': [{ keys: string[] }, Record<string, string>];
  'cache.putAll': [{ values: Record<string, string>; seconds: number }, null];
  'lock.try': [{ kind: LockKind; timeoutMs: number }, boolean];
  'lock.release': [{ kind: LockKind }, null];
  fetch: [{ requests: FetchRequest[] }, FetchReply[]];
  'script.token': [null, string];
  'session.userKey': [null, string];
  log: [{ line: string }, null];
}
export type Op = keyof Ops;

export interface CallMessage {
  op: Op;
  arg: unknown;
}

export type Outcome = { ok: true; value: unknown } | { ok: false; error: { name: string; message: string } };

export interface RunMessage {
  exec: number;
  fn: string;
  args: unknown[];
  mode: Mode;
}

export type DoneMessage = { exec: number } & Outcome;

export interface WorkerSetup {
  /** The built add-on: Code.js and the HTML files. */
  dir: string;
  port: MessagePort;
  flag: SharedArrayBuffer;
}
