/**
 * The Apps Script entry: only the globals Apps Script calls (triggers, the
 * menu, the sidebar's google.script.run calls, the CASCADE custom function).
 * Each builds what it needs from the services anew, since every Apps Script
 * execution starts from a fresh global scope. The build keeps these as
 * top-level function declarations and checks nothing was renamed.
 */
import type { ServerFunctions } from './contract.js';
import { createCtx } from './server/context.js';
import type { Gas } from './server/gas.js';
import { createServer } from './server/handlers.js';
import { cascadeLookup } from './server/lookup.js';
import { addMenu, openSidebar } from './server/menu.js';

const gas = (): Gas => ({ SpreadsheetApp, PropertiesService, CacheService, LockService, HtmlService, UrlFetchApp, ScriptApp, Session, Utilities });
const server = () => createServer(gas());
type Args<K extends keyof ServerFunctions> = Parameters<ServerFunctions[K]>;

export function onOpen() {
  addMenu({ SpreadsheetApp });
}

export function onInstall() {
  onOpen();
}

export function showSidebar() {
  openSidebar(gas());
}

export function getSidebarState(...a: Args<'getSidebarState'>) {
  return server().getSidebarState(...a);
}

export function saveSettings(...a: Args<'saveSettings'>) {
  return server().saveSettings(...a);
}

export function testConnection(...a: Args<'testConnection'>) {
  return server().testConnection(...a);
}

export function inspectSheet(...a: Args<'inspectSheet'>) {
  return server().inspectSheet(...a);
}

export function estimate(...a: Args<'estimate'>) {
  return server().estimate(...a);
}

export function startJob(...a: Args<'startJob'>) {
  return server().startJob(...a);
}

export function continueUpload(...a: Args<'continueUpload'>) {
  return server().continueUpload(...a);
}

export function getProgress(...a: Args<'getProgress'>) {
  return server().getProgress(...a);
}

export function cancelJob(...a: Args<'cancelJob'>) {
  return server().cancelJob(...a);
}

export function retryFlagged(...a: Args<'retryFlagged'>) {
  return server().retryFlagged(...a);
}

export function openDashboard(...a: Args<'openDashboard'>) {
  return server().openDashboard(...a);
}

export function getPipeline(...a: Args<'getPipeline'>) {
  return server().getPipeline(...a);
}

export function inspectRow(...a: Args<'inspectRow'>) {
  return server().inspectRow(...a);
}

export function inspectLead(...a: Args<'inspectLead'>) {
  return server().inspectLead(...a);
}

export function replayLead(...a: Args<'replayLead'>) {
  return server().replayLead(...a);
}

export function inspectResult(...a: Args<'inspectResult'>) {
  return server().inspectResult(...a);
}

export function retryRow(...a: Args<'retryRow'>) {
  return server().retryRow(...a);
}

/**
 * Looks up one field of a lead through Cascade: cache first, then the
 * provider waterfall, with a short deadline.
 *
 * @param {string|Array<Array<string>>} input An email, domain or website, LinkedIn URL or company name, or a column of them.
 * @param {string} field The field to return, such as "company.name" or "person.title".
 * @param {string} kind Optional: read the input as email, domain, name, company or linkedinUrl.
 * @return The field's value; empty when no provider knows it.
 * @customfunction
 * @preserve
 */
export function CASCADE(input: unknown, field: unknown, kind?: unknown) {
  return cascadeLookup(createCtx(gas()), input, field, kind);
}
