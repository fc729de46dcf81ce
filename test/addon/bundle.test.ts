import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script, createContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { checkScript } from '../../addon/build.js';
import type { ServerFunctions } from '../../addon/src/contract.js';
import { builtAddon } from './helpers/build.js';

// Every function the sidebar may call, checked complete against the interface by the compiler.
const SIDEBAR_CALLS: Record<keyof ServerFunctions, true> = {
  getSidebarState: true,
  saveSettings: true,
  testConnection: true,
  inspectSheet: true,
  estimate: true,
  startJob: true,
  continueUpload: true,
  getProgress: true,
  cancelJob: true,
  retryFlagged: true,
  openDashboard: true,
  getPipeline: true,
  inspectRow: true,
  inspectLead: true,
  replayLead: true,
  inspectResult: true,
  retryRow: true,
};
const GLOBALS = ['onOpen', 'onInstall', 'showSidebar', 'CASCADE', ...Object.keys(SIDEBAR_CALLS)].sort();

describe('the Apps Script bundle', () => {
  it('exposes exactly the globals, each a top-level function declaration, and no module syntax', async () => {
    const { outDir, globals } = await builtAddon();
    const code = readFileSync(join(outDir, 'Code.js'), 'utf8');
    expect([...globals].sort()).toEqual(GLOBALS);
    for (const g of GLOBALS) expect(code).toMatch(new RegExp(`^function ${g}\\(`, 'm'));
    expect(code).not.toMatch(/^\s*(import|export)\b/m);
    // A classic script (what Apps Script loads) refuses import/export at parse time.
    const context = createContext({});
    new Script(code).runInContext(context);
    for (const g of GLOBALS) expect(typeof (context as Record<string, unknown>)[g], g).toBe('function');
  });

  it('keeps the custom function documented for autocomplete', async () => {
    const { code } = await builtAddon();
    expect(code).toMatch(/@customfunction[\s\S]*?\*\/\nfunction CASCADE\(/);
  });

  it('ships the sidebar as one HTML file and the manifest with V8 and the three scopes', async () => {
    const { outDir, sidebar } = await builtAddon();
    expect(sidebar).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet/);
    expect(sidebar).toContain('google.script.run');
    const manifest = JSON.parse(readFileSync(join(outDir, 'appsscript.json'), 'utf8'));
    expect(manifest.runtimeVersion).toBe('V8');
    expect([...manifest.oauthScopes].sort()).toEqual([
      'https://www.googleapis.com/auth/script.container.ui',
      'https://www.googleapis.com/auth/script.external_request',
      'https://www.googleapis.com/auth/spreadsheets',
    ]);
  });

  it('refuses a bundle Apps Script could not use', () => {
    expect(() => checkScript('export function onOpen() {}', ['onOpen'])).toThrow(/not a plain script/);
    expect(() => checkScript('const onOpen = () => 1;', ['onOpen'])).toThrow(/onOpen is not a top-level function declaration/);
    expect(() => checkScript('function onOpen() {}\nvar UrlFetchApp = {};', ['onOpen'])).toThrow(/hiding the Apps Script service/);
  });
});
