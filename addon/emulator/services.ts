import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Gas, GasFetchOptions, GasHttpResponse, GasRange, GasSheet, GasSpreadsheet } from '../src/server/gas.js';
import type { FetchReply, FetchRequest, LockKind, Op, Ops, PropertyStore } from './protocol.js';

type Call = <K extends Op>(op: K, arg: Ops[K][0]) => Ops[K][1];

/** Apps Script's own wording, so the add-on's error handling meets what it will meet in Google. */
const exception = (message: string) => Object.assign(new Error(message), { name: 'Exception' });

function range(call: Call, sheetId: number, row: number, column: number, rows: number, columns: number): GasRange {
  if (rows < 1) throw exception('The number of rows in the range must be at least 1.');
  if (columns < 1) throw exception('The number of columns in the range must be at least 1.');
  if (row < 1 || column < 1) throw exception('The starting row and column of the range must be at least 1.');
  return { getValues: () => call('range.get', { sheetId, row, column, rows, columns }), getRow: () => row, getNumRows: () => rows };
}

function sheet(call: Call, sheetId: number): GasSheet {
  const self: GasSheet = {
    getName: () => call('sheet.name', { sheetId }),
    getSheetId: () => sheetId,
    getLastRow: () => call('sheet.lastRow', { sheetId }),
    getLastColumn: () => call('sheet.lastColumn', { sheetId }),
    getRange: (row, column, numRows, numColumns) => range(call, sheetId, row, column, numRows, numColumns),
    getActiveRange() {
      const r = call('sheet.activeRange', { sheetId });
      return r && range(call, sheetId, r.row, r.column, r.rows, r.columns);
    },
    activate() {
      call('sheet.activate', { sheetId });
      return self;
    },
  };
  return self;
}

function spreadsheet(call: Call): GasSpreadsheet {
  return {
    getId: () => call('ss.id', null),
    getActiveSheet: () => sheet(call, call('ss.active', null)),
    getSheets: () => call('ss.sheets', null).map((id) => sheet(call, id)),
    getSheetByName(name) {
      const id = call('ss.byName', { name });
      return id === null ? null : sheet(call, id);
    },
  };
}

function properties(call: Call, store: PropertyStore) {
  const self = {
    getProperty: (key: string) => call('props.get', { store, key: String(key) }),
    setProperty(key: string, value: string) {
      call('props.set', { store, key: String(key), value: String(value) });
      return self;
    },
    deleteProperty(key: string) {
      call('props.delete', { store, key: String(key) });
      return self;
    },
    getKeys: () => call('props.keys', { store }),
  };
  return self;
}

function lock(call: Call, kind: LockKind) {
  return {
    tryLock: (timeoutMs: number) => call('lock.try', { kind, timeoutMs }),
    releaseLock: () => void call('lock.release', { kind }),
  };
}

function response(r: FetchReply): GasHttpResponse {
  return { getResponseCode: () => r.status, getContentText: () => r.body };
}

const toRequest = (url: string, o: GasFetchOptions = {}): FetchRequest => ({
  url: String(url),
  method: o.method,
  headers: o.headers,
  contentType: o.contentType,
  payload: o.payload,
  muteHttpExceptions: o.muteHttpExceptions,
});

/**
 * The Apps Script globals of one execution. Stateful services (the
 * spreadsheet, properties, cache, locks, the network) are calls to the host;
 * what Apps Script computes locally (Utilities) is computed here.
 */
export function appsScriptGlobals(call: Call, dir: string) {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const log = (...parts: unknown[]) => void call('log', { line: parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ') });
  const menu = (title: string) => {
    const items: { caption: string; functionName: string }[] = [];
    const self = {
      addItem(caption: string, functionName: string) {
        items.push({ caption, functionName });
        return self;
      },
      addSeparator: () => self,
      addToUi: () => void call('ui.menu', { title, items }),
    };
    return self;
  };
  const gas: Gas = {
    SpreadsheetApp: {
      getActiveSpreadsheet: () => spreadsheet(call),
      getUi: () => ({
        createAddonMenu: () => menu('Cascade'),
        showSidebar(output) {
          const html = output as unknown as { getTitle(): string; getContent(): string };
          call('ui.sidebar', { title: html.getTitle(), html: html.getContent() });
        },
      }),
    },
    PropertiesService: {
      getUserProperties: () => properties(call, 'user'),
      getScriptProperties: () => properties(call, 'script'),
    },
    CacheService: {
      getUserCache: () => ({
        getAll: (keys) => call('cache.getAll', { keys }),
        putAll: (values, seconds) => void call('cache.putAll', { values, seconds }),
      }),
    },
    LockService: { getUserLock: () => lock(call, 'user') },
    HtmlService: {
      createHtmlOutputFromFile(name) {
        const file = join(dir, `${name}.html`);
        if (!existsSync(file)) throw exception(`No HTML file named ${name} was found.`);
        const output = {
          title: '',
          html: readFileSync(file, 'utf8'),
          setTitle(title: string) {
            output.title = title;
            return output;
          },
          getTitle: () => output.title,
          getContent: () => output.html,
        };
        return output;
      },
    },
    UrlFetchApp: {
      fetch: (url, params) => response(call('fetch', { requests: [toRequest(url, params)] })[0]!),
      fetchAll: (requests) => call('fetch', { requests: requests.map((r) => toRequest(r.url, r)) }).map(response),
    },
    ScriptApp: { getOAuthToken: () => call('script.token', null) },
    Session: { getTemporaryActiveUserKey: () => call('session.userKey', null) },
    Utilities: { getUuid: () => randomUUID(), sleep: (ms) => void Atomics.wait(sleeper, 0, 0, Math.max(0, Number(ms))) },
  };
  // Apps Script has a console and Logger too; a stray log line must not crash an execution.
  return { ...gas, Logger: { log }, console: { log, info: log, warn: log, error: log } };
}
