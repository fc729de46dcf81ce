import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Gas, GasFetchOptions, GasHttpResponse, GasRange, GasSheet, GasSpreadsheet } from '../src/server/gas.js';
import type { CellValue, FetchReply, FetchRequest, LockKind, Op, Ops, PropertyStore } from './protocol.js';

type Call = <K extends Op>(op: K, arg: Ops[K][0]) => Ops[K][1];

/** Apps Script's own wording, so the add-on's error handling meets what it will meet in Google. */
const exception = (message: string) => Object.assign(new Error(message), { name: 'Exception' });

function range(call: Call, sheetId: number, row: number, column: number, rows: number, columns: number): GasRange & { getA1Notation(): string } {
  if (rows < 1) throw exception('The number of rows in the range must be at least 1.');
  if (columns < 1) throw exception('The number of columns in the range must be at least 1.');
  if (row < 1 || column < 1) throw exception('The starting row and column of the range must be at least 1.');
  const ref = { sheetId, row, column, rows, columns };
  const self = {
    getValues: () => call('range.get', ref),
    setValues(values: unknown[][]) {
      if (values.length !== rows || values.some((r) => r.length !== columns)) {
        throw exception(`The number of rows or columns in the data does not match the range: the data has ${values.length} rows but the range has ${rows}.`);
      }
      call('range.set', { ...ref, values: values as CellValue[][] });
      return self;
    },
    getRow: () => row,
    getColumn: () => column,
    getNumRows: () => rows,
    getNumColumns: () => columns,
    getA1Notation: () => `R${row}C${column}:R${row + rows - 1}C${column + columns - 1}`,
  };
  return self;
}

function sheet(call: Call, sheetId: number): GasSheet {
  const self: GasSheet = {
    getName: () => call('sheet.name', { sheetId }),
    getSheetId: () => sheetId,
    getLastRow: () => call('sheet.lastRow', { sheetId }),
    getLastColumn: () => call('sheet.lastColumn', { sheetId }),
    getRange: (row, column, numRows, numColumns) => range(call, sheetId, row, column, numRows, numColumns),
    activate() {
      call('sheet.activate', { sheetId });
      return self;
    },
  };
  return Object.assign(self, {
    getMaxRows: () => call('sheet.maxRows', { sheetId }),
    getMaxColumns: () => call('sheet.maxColumns', { sheetId }),
  });
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
    insertSheet: (name) => sheet(call, call('ss.insert', { name })),
    toast: (message, title, timeoutSeconds) => void call('ss.toast', { message: String(message), title: String(title ?? ''), timeoutSeconds: timeoutSeconds ?? 5 }),
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
    waitLock(timeoutMs: number) {
      if (!call('lock.try', { kind, timeoutMs })) throw exception('Lock timeout: another process was holding the lock for too long.');
    },
    releaseLock: () => void call('lock.release', { kind }),
  };
}

function response(r: FetchReply): GasHttpResponse & { getHeaders(): Record<string, string> } {
  return { getResponseCode: () => r.status, getContentText: () => r.body, getHeaders: () => r.headers };
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
  return {
    ...gas,
    PropertiesService: { ...gas.PropertiesService, getDocumentProperties: () => properties(call, 'document') },
    LockService: { ...gas.LockService, getScriptLock: () => lock(call, 'script'), getDocumentLock: () => lock(call, 'document') },
    ScriptApp: { ...gas.ScriptApp, AuthMode: { NONE: 'NONE', LIMITED: 'LIMITED', FULL: 'FULL', CUSTOM_FUNCTION: 'CUSTOM_FUNCTION' } },
    Session: { ...gas.Session, getActiveUser: () => ({ getEmail: () => call('session.email', null) }) },
    Logger: { log },
    console: { log, info: log, warn: log, error: log },
  };
}
