/**
 * The part of the Apps Script services the add-on uses, and nothing more.
 * The entry file passes the real globals in (and the type checker confirms
 * they fit); the emulator in addon/emulator implements the same interface
 * over an in-memory spreadsheet. Keeping it narrow is what makes both true.
 */
export type CellValue = string | number | boolean | Date;

export interface GasRange {
  getValues(): CellValue[][];
  /** The range's first row and its height: with getActiveRange, the rows the user selected. */
  getRow(): number;
  getNumRows(): number;
}

export interface GasSheet {
  getName(): string;
  getSheetId(): number;
  getLastRow(): number;
  getLastColumn(): number;
  getRange(row: number, column: number, numRows: number, numColumns: number): GasRange;
  /** The selection on this tab when it is the active one (what the user clicked), else null. */
  getActiveRange(): GasRange | null;
  activate(): GasSheet;
}

export interface GasSpreadsheet {
  getId(): string;
  getActiveSheet(): GasSheet;
  getSheets(): GasSheet[];
  getSheetByName(name: string): GasSheet | null;
}

export interface GasMenu {
  addItem(caption: string, functionName: string): GasMenu;
  addToUi(): void;
}

export interface GasHtmlOutput {
  setTitle(title: string): GasHtmlOutput;
}

export interface GasUi {
  createAddonMenu(): GasMenu;
  showSidebar(userInterface: GasHtmlOutput): void;
}

export interface GasProperties {
  getProperty(key: string): string | null;
  setProperty(key: string, value: string): GasProperties;
  deleteProperty(key: string): GasProperties;
  getKeys(): string[];
}

export interface GasCache {
  getAll(keys: string[]): Record<string, string>;
  putAll(values: Record<string, string>, expirationInSeconds: number): void;
}

export interface GasLock {
  tryLock(timeoutInMillis: number): boolean;
  releaseLock(): void;
}

export interface GasHttpResponse {
  getResponseCode(): number;
  getContentText(): string;
}

export interface GasFetchOptions {
  method?: 'get' | 'post' | 'put';
  headers?: Record<string, string>;
  contentType?: string;
  payload?: string;
  muteHttpExceptions?: boolean;
}

export interface Gas {
  SpreadsheetApp: { getActiveSpreadsheet(): GasSpreadsheet; getUi(): GasUi };
  PropertiesService: { getUserProperties(): GasProperties; getScriptProperties(): GasProperties };
  CacheService: { getUserCache(): GasCache | null };
  LockService: { getUserLock(): GasLock };
  HtmlService: { createHtmlOutputFromFile(filename: string): GasHtmlOutput };
  UrlFetchApp: {
    fetch(url: string, params: GasFetchOptions): GasHttpResponse;
    fetchAll(requests: (GasFetchOptions & { url: string })[]): GasHttpResponse[];
  };
  ScriptApp: { getOAuthToken(): string };
  Session: { getTemporaryActiveUserKey(): string };
  Utilities: { getUuid(): string; sleep(milliseconds: number): void };
}
