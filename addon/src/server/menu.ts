import type { Gas } from './gas.js';

/**
 * The add-on menu. onOpen runs as a simple trigger, before the user has
 * authorised anything in this document (AuthMode.NONE): it may build the
 * menu and nothing else — no properties, no UrlFetch.
 */
export function addMenu(gas: Pick<Gas, 'SpreadsheetApp'>): void {
  gas.SpreadsheetApp.getUi().createAddonMenu().addItem('Open sidebar', 'showSidebar').addItem('Open dashboard', 'openDashboard').addToUi();
}

export function openSidebar(gas: Gas): void {
  gas.SpreadsheetApp.getUi().showSidebar(gas.HtmlService.createHtmlOutputFromFile('sidebar').setTitle('Cascade'));
}
