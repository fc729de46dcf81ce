import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSheetsServer, type CellValue, type SheetsServer, type Spreadsheet } from '../../google/sheets/index.js';
import { startSimServer, type SimServer } from '../../../api/demo/simServer.js';
import { AppsScript } from '../../../addon/emulator/runtime.js';
import type { AddonLimits } from '../../../addon/src/core/limits.js';
import type { ProgressView } from '../../../addon/src/contract.js';
import { rawConfig, simProviders, type TestProvider } from '../../helpers/harness.js';
import { spawnServer, type Spawned } from '../../helpers/spawnServer.js';
import { builtAddon } from './build.js';

export interface AddonHarness {
  /** The real API, in its own process as in production (`npm start` with a config file). */
  api: Spawned;
  key: string;
  sim: SimServer;
  /** The local Sheets API v4 server; its grid holds the spreadsheets the add-on is bound to. */
  sheets: SheetsServer;
  token: string;
  /** The built add-on in the Apps Script emulator, bound to a new spreadsheet, connected to the API. */
  open(tabs: { title: string; values: CellValue[][] }[], limits?: Partial<AddonLimits>): Promise<BoundAddon>;
  apiGet<T = any>(path: string): Promise<T>;
  stop(): Promise<void>;
}

export interface BoundAddon {
  gas: AppsScript;
  book: Spreadsheet;
  /** Follows a job as the sidebar does (upload calls, then polls) until it is done and written into the sheet. */
  follow(start: ProgressView, until?: (p: ProgressView) => boolean): Promise<ProgressView>;
}

export const settled = (p: ProgressView) => p.phase !== 'uploading' && p.phase !== 'running' && p.sheet?.state === 'done';

/**
 * Everything the add-on meets in production, on 127.0.0.1: the API as its
 * own process (so the emulator's synchronous service calls are never queued
 * behind the API's database work on one event loop), simulated providers
 * and the local Google Sheets server in this process, where a test can
 * script their failures and read the grid.
 */
export async function startAddonHarness(opts: { providers: TestProvider[] }): Promise<AddonHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'cascade-addon-e2e-'));
  const [sim, sheets, built] = await Promise.all([startSimServer(simProviders(opts.providers)), startSheetsServer(), builtAddon()]);
  writeFileSync(join(dir, 'cascade.json'), JSON.stringify(rawConfig(sim.url, opts.providers)));
  const key = `csk_${randomBytes(24).toString('base64url')}`;
  const api = await spawnServer({
    CASCADE_CONFIG: join(dir, 'cascade.json'),
    CASCADE_DB: `file:${join(dir, 'cascade.db')}`,
    CASCADE_BOOTSTRAP_KEY: key,
    CASCADE_SHEETS_URL: sheets.url,
    CASCADE_SHEETS_DASHBOARD_MS: '200',
  });
  const token = 'ya29.addon-user-token';
  sheets.auth.grant(token, 'lead.owner@example.com');
  const bound: AppsScript[] = [];
  return {
    api,
    key,
    sim,
    sheets,
    token,
    async open(tabs, limits) {
      const book = sheets.model.create(`book${randomBytes(6).toString('hex')}`, tabs);
      const gas = await AppsScript.start({ dir: built.outDir, book, user: { token } });
      bound.push(gas);
      if (limits) gas.host.properties.set('script', 'cascade.limits', JSON.stringify(limits));
      await gas.run('saveSettings', { apiUrl: api.url, apiKey: key });
      return {
        gas,
        book,
        async follow(start, until = settled) {
          let p = start;
          for (let i = 0; i < 6000 && !until(p); i++) {
            if (p.phase === 'uploading') p = await gas.run<ProgressView>('continueUpload');
            else {
              await new Promise((r) => setTimeout(r, 20));
              p = (await gas.run<ProgressView | null>('getProgress'))!;
            }
          }
          if (!until(p)) throw new Error(`job not settled: ${JSON.stringify(p)}`);
          return p;
        },
      };
    },
    async apiGet(path) {
      const res = await fetch(api.url + path, { headers: { authorization: `Bearer ${key}` } });
      return (await res.json()) as never;
    },
    async stop() {
      await Promise.all(bound.map((g) => g.close()));
      await new Promise<void>((resolve) => {
        api.child.removeAllListeners('exit');
        api.child.once('exit', () => resolve());
        api.child.kill('SIGTERM');
      });
      await Promise.all([sheets.close(), sim.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
