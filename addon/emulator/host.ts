import type { Spreadsheet } from '../../test/google/sheets/index.js';
import type { FetchReply, Mode, Op, Ops } from './protocol.js';
import { SpreadsheetHost } from './spreadsheet.js';
import { CacheStore, Locks, PropertyStores } from './stores.js';
import { urlFetch, type FetchLog } from './urlFetch.js';

export interface HostUser {
  /** What ScriptApp.getOAuthToken() returns; grant it in the local Sheets server for the API's writes to be accepted. */
  token: string;
  /** Session.getTemporaryActiveUserKey(). */
  userKey: string;
}

export interface ExecInfo {
  id: number;
  fn: string;
  mode: Mode;
}

/** What Apps Script refuses outside a full authorisation: a simple trigger (onOpen before the add-on is enabled) and a custom function. */
const DENIED: Record<Exclude<Mode, 'full'>, { allowed?: Op[]; denied?: Op[] }> = {
  simpleTrigger: { allowed: ['ui.menu', 'log'] },
  customFunction: { denied: ['sheet.activate', 'ui.menu', 'ui.sidebar', 'props.set', 'props.delete', 'script.token'] },
};

const METHOD: Partial<Record<Op, string>> = {
  fetch: 'UrlFetchApp.fetch',
  'props.get': 'Properties.getProperty',
  'props.set': 'Properties.setProperty',
  'props.delete': 'Properties.deleteProperty',
  'ui.sidebar': 'Ui.showSidebar',
  'script.token': 'ScriptApp.getOAuthToken',
};

/**
 * The state an Apps Script project sees across executions, held on the
 * main thread: the spreadsheet, property stores, cache, locks, what the UI
 * was asked to show, and a log of every UrlFetch.
 */
export class AppsScriptHost {
  readonly spreadsheet: SpreadsheetHost;
  readonly properties = new PropertyStores();
  readonly cache = new CacheStore(() => Date.now());
  readonly locks = new Locks();
  readonly ui = {
    menus: [] as { title: string; items: { caption: string; functionName: string }[] }[],
    sidebars: [] as { title: string; html: string }[],
  };
  readonly fetches: FetchLog[] = [];
  readonly logs: string[] = [];

  constructor(
    book: Spreadsheet,
    public user: HostUser,
  ) {
    this.spreadsheet = new SpreadsheetHost(book);
  }

  async handle<K extends Op>(exec: ExecInfo, op: K, arg: Ops[K][0]): Promise<Ops[K][1]> {
    if (exec.mode !== 'full') {
      const rule = DENIED[exec.mode];
      if ((rule.allowed && !rule.allowed.includes(op)) || rule.denied?.includes(op)) {
        throw Object.assign(new Error(`You do not have permission to call ${METHOD[op] ?? op}`), { name: 'Exception' });
      }
    }
    return (await this.dispatch(exec, op, arg as never)) as Ops[K][1];
  }

  // biome-ignore lint/suspicious/noExplicitAny: each op's arguments come from the worker as structured-clone data, read per op below.
  private async dispatch(exec: ExecInfo, op: Op, a: any): Promise<unknown> {
    const ss = this.spreadsheet;
    switch (op) {
      case 'ss.id':
        return ss.book.spreadsheetId;
      case 'ss.active':
        return ss.active();
      case 'ss.sheets':
        return ss.book.sheets.map((s) => s.sheetId);
      case 'ss.byName':
        return ss.book.sheet(a.name)?.sheetId ?? null;
      case 'sheet.name':
        return ss.sheet(a.sheetId).title;
      case 'sheet.lastRow':
        return ss.lastRow(a.sheetId);
      case 'sheet.lastColumn':
        return ss.lastColumn(a.sheetId);
      case 'sheet.activate':
        ss.sheet(a.sheetId);
        ss.activeSheetId = a.sheetId;
        return null;
      case 'sheet.activeRange':
        return ss.activeRange(a.sheetId);
      case 'range.get':
        return ss.get(a);
      case 'ui.menu':
        this.ui.menus.push(a);
        return null;
      case 'ui.sidebar':
        this.ui.sidebars.push(a);
        return null;
      case 'props.get':
        return this.properties.get(a.store, a.key);
      case 'props.set':
        this.properties.set(a.store, a.key, a.value);
        return null;
      case 'props.delete':
        this.properties.delete(a.store, a.key);
        return null;
      case 'props.keys':
        return this.properties.keys(a.store);
      case 'cache.getAll':
        return this.cache.getAll(a.keys);
      case 'cache.putAll':
        this.cache.putAll(a.values, a.seconds);
        return null;
      case 'lock.try':
        return this.locks.acquire(a.kind, exec.id, a.timeoutMs);
      case 'lock.release':
        this.locks.release(a.kind, exec.id);
        return null;
      case 'fetch':
        return this.fetch(exec, a.requests);
      case 'script.token':
        return this.user.token;
      case 'session.userKey':
        return this.user.userKey;
      case 'log':
        this.logs.push(a.line);
        return null;
    }
  }

  private fetch(exec: ExecInfo, requests: Ops['fetch'][0]['requests']): Promise<FetchReply[]> {
    const opts = {
      log: (entry: Omit<FetchLog, 'exec' | 'fn'>) => this.fetches.push({ exec: exec.id, fn: exec.fn, ...entry }),
      count: () => this.fetches.length,
    };
    return Promise.all(requests.map((r) => urlFetch(r, opts)));
  }
}
