import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CellValue } from '../google/sheets/index.js';
import type { ConnectionResult, PlanInput, ProgressView, SettingsView, SidebarState } from '../../addon/src/contract.js';
import { builtAddon } from './helpers/build.js';
import { startAddonHarness, type AddonHarness } from './helpers/addonHarness.js';

let stack: AddonHarness;
beforeAll(async () => {
  stack = await startAddonHarness({
    providers: [
      { id: 'firmo', fields: ['company.name', 'company.industry'], input: 'domain', costPerMatch: 0.01, behaviour: { matchRate: { '*': 1, org: 0 } } },
    ],
  });
});
afterAll(() => stack?.stop());

const leads = (n: number, tld = 'com'): { title: string; values: CellValue[][] }[] => [
  { title: 'Leads', values: [['Website'], ...Array.from({ length: n }, (_, i) => [`lead${i}.${tld}`])] },
];
const plan = (fields: PlanInput['fields'] = ['company.name']): PlanInput => ({ sheetName: 'Leads', headerRow: 1, inputs: { domain: 1 }, fields });
const answered = () => stack.sim.requests.filter((r) => r.status === 200 || r.status === 404).map((r) => r.q);

describe('menu and sidebar', () => {
  it('onOpen, run as a simple trigger before any authorisation, builds a menu of real globals', async () => {
    const { gas } = await stack.open(leads(1));
    await gas.trigger('onOpen');
    const { globals, sidebar } = await builtAddon();
    const menu = gas.host.ui.menus.at(-1)!;
    expect(menu.items.map((i) => i.caption)).toEqual(['Open sidebar', 'Open dashboard']);
    for (const item of menu.items) expect(globals).toContain(item.functionName);
    // A simple trigger may not use UrlFetch or properties: the emulator refuses them as Google does.
    await expect(gas.trigger('getSidebarState')).rejects.toThrow(/You do not have permission/);

    await gas.run('showSidebar');
    expect(gas.host.ui.sidebars.at(-1)).toEqual({ title: 'Cascade', html: sidebar });
  });
});

describe('connection settings', () => {
  let notCascade: Server;
  let notCascadeUrl: string;
  beforeAll(async () => {
    notCascade = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
    await new Promise<void>((r) => notCascade.listen(0, '127.0.0.1', r));
    notCascadeUrl = `http://127.0.0.1:${(notCascade.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => notCascade.close(() => r())));

  it('keeps the key in the user’s properties only and never hands it back', async () => {
    const { gas } = await stack.open(leads(1));
    const view = await gas.run<SettingsView>('saveSettings', { apiUrl: `${stack.api.url}/`, apiKey: stack.key });
    expect(view).toEqual({ apiUrl: stack.api.url, keyHint: `${stack.key.slice(0, 4)}…${stack.key.slice(-4)}` });
    expect(JSON.stringify(await gas.run<SidebarState>('getSidebarState'))).not.toContain(stack.key);
    expect(gas.host.properties.keys('user')).toContain('cascade.apiKey');
    expect([...gas.host.properties.stores.script.values()].join()).not.toContain(stack.key);
    // An empty key field keeps the saved key.
    await gas.run('saveSettings', { apiUrl: stack.api.url, apiKey: '' });
    expect(gas.host.properties.get('user', 'cascade.apiKey')).toBe(stack.key);
    await expect(gas.run('saveSettings', { apiUrl: 'cascade.example.com' })).rejects.toThrow('apiUrl: an http(s) URL such as https://cascade.example.com');
  });

  it('Test connection says which of URL, reachability or key is wrong', async () => {
    const { gas } = await stack.open(leads(1));
    const test = async (apiUrl: string, apiKey: string) => {
      await gas.run('saveSettings', { apiUrl, apiKey });
      return gas.run<ConnectionResult>('testConnection');
    };
    expect(await test(stack.api.url, stack.key)).toEqual({ ok: true, message: `Connected to ${stack.api.url}: 1 provider configured.` });
    expect(await test(stack.api.url, 'csk_not_a_key_of_this_api')).toEqual({
      ok: false,
      message: 'The Cascade API refused the API key. Paste a valid key in Settings.',
    });
    expect((await test(notCascadeUrl, stack.key)).message).toMatch(/answered HTTP 404 and is not a Cascade API endpoint/);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const gone = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    expect((await test(gone, stack.key)).message).toMatch(new RegExp(`^Could not reach the Cascade API at ${gone} \\(Address unavailable`));
  });
});

describe('jobs from the sidebar', () => {
  it('reopening the sidebar shows the job where it is, and the upload picks up from there', async () => {
    const { gas, follow } = await stack.open(leads(300), { batchRows: 50, uploadBudgetMs: 0 });
    const started = await gas.run<ProgressView>('startJob', plan());
    expect(started).toMatchObject({ phase: 'uploading', uploaded: 50, total: 300 });
    // The sidebar is closed here; later it is opened again, in a new execution.
    const reopened = await gas.run<SidebarState>('getSidebarState');
    expect(reopened.job).toMatchObject({ jobId: started.jobId, phase: 'uploading', uploaded: 50, total: 300 });
    const done = await follow(reopened.job!);
    expect(done.counts).toMatchObject({ total: 300, matched: 300 });
  });

  it('Cancel stops paid calls and the upload; Retry resumes where it stopped', async () => {
    const firmo = stack.sim.providers.get('firmo')!.behaviour;
    firmo.latency = { medianMs: 150, sigma: 0.1 };
    try {
      const { gas, follow } = await stack.open(leads(400, 'io'), { batchRows: 100, uploadBudgetMs: 0 });
      const started = await gas.run<ProgressView>('startJob', plan());
      const cancelled = await gas.run<ProgressView>('cancelJob');
      expect(cancelled.phase).toBe('cancelled');
      const arrivals = stack.sim.arrivals();
      // The upload stops too: nothing more is sent to a cancelled job.
      const after = await gas.run<ProgressView>('continueUpload');
      expect(after).toMatchObject({ phase: 'cancelled', uploaded: started.uploaded });
      await new Promise((r) => setTimeout(r, 400));
      // Requests already sent when Cancel returned may still land; none starts after (the sim counts arrivals).
      expect(stack.sim.arrivals()).toBe(arrivals);
      firmo.latency = { medianMs: 5, sigma: 0.2 };
      const resumed = await gas.run<ProgressView>('retryFlagged', {});
      const done = await follow(resumed);
      expect(done.counts).toMatchObject({ total: 400, matched: 400 });
      const io = answered().filter((q) => q.endsWith('.io'));
      expect(new Set(io).size).toBe(io.length);
    } finally {
      firmo.latency = { medianMs: 5, sigma: 0.2 };
    }
  });

  it('an execution killed right after the API took a batch loses nothing and sends nothing twice', async () => {
    const { gas, follow } = await stack.open(leads(300, 'net'), { batchRows: 50, uploadBudgetMs: 60_000 });
    const started = await gas.run<ProgressView>('startJob', plan());
    let saves = 0;
    // Dies when saving progress after its second batch: the API has those rows, the add-on's state does not.
    gas.killSwitch = (exec, op, arg) =>
      exec.fn === 'continueUpload' && op === 'props.set' && String((arg as { key: string }).key).startsWith('cascade.job.') && ++saves === 2;
    await expect(gas.run('continueUpload')).rejects.toThrow('Exceeded maximum execution time');
    const done = await follow(await gas.run<ProgressView>('getProgress'));
    expect(done.counts).toMatchObject({ total: 300, matched: 300 });
    expect(done.uploaded).toBe(300);
    // The batch sent again was refused as already there (409 duplicate_row_key), and recognised as such.
    const appends = gas.host.fetches.filter((f) => /\/rows$/.test(f.url));
    expect(appends.filter((f) => f.status === 409)).toHaveLength(1);
    expect(started.uploaded).toBe(50);
  });

  it('rows stopped by the cost cap go through when Retry raises the cap', async () => {
    const { gas, follow } = await stack.open(leads(40, 'dev'));
    // $0.01 a match: the cap covers 10 rows, the rest are flagged budget_exhausted.
    const capped = await follow(await gas.run<ProgressView>('startJob', { ...plan(), maxCostUsd: 0.1 }));
    expect(capped.counts.budget_exhausted).toBeGreaterThan(0);
    expect(capped.flagged).toBe(capped.counts.budget_exhausted);
    expect(capped.costUsd).toBeLessThanOrEqual(0.1 + 1e-9);
    const raised = await follow(await gas.run<ProgressView>('retryFlagged', { maxCostUsd: 1 }));
    expect(raised.counts).toMatchObject({ total: 40, matched: 40, budget_exhausted: 0 });
    expect(raised.maxCostUsd).toBe(1);
    await expect(gas.run('retryFlagged', { maxCostUsd: -1 })).rejects.toThrow(/^maxCostUsd: /);
  });

  it('turns request errors into sentences that say what to change', async () => {
    const { gas } = await stack.open(leads(3));
    await expect(gas.run('estimate', plan(['person.phone']))).rejects.toThrow(
      'The Cascade API said: no configured provider supplies "person.phone" (at fields[0]).',
    );
    await expect(gas.run('startJob', { ...plan(), fields: [] })).rejects.toThrow('fields: tick at least one field');
    await expect(gas.run('startJob', { ...plan(), inputs: { domain: 9 } })).rejects.toThrow('inputs.domain: column I is past the last column of the tab.');
  });
});

describe('=CASCADE()', () => {
  it('looks a value up, answers empty for no match and a readable error otherwise, and caches', async () => {
    const { gas } = await stack.open(leads(1));
    expect(await gas.customFunction('CASCADE', 'lead7.com', 'company.name')).toBe('Lead7');
    expect(await gas.customFunction('CASCADE', 'https://www.lead8.com/about', 'company.industry')).toEqual(expect.any(String));
    expect(await gas.customFunction('CASCADE', 'lead7.org', 'company.name')).toBe('');
    await expect(gas.customFunction('CASCADE', 'lead7.com', 'company.nmae')).rejects.toThrow(
      'Cascade: "company.nmae" is not a field; use one like "company.name" or "person.title".',
    );
    await expect(gas.customFunction('CASCADE', 'Acme Corp', 'company.name')).rejects.toThrow(
      /^Cascade: input: no provider can look up these fields from company; add domain/,
    );

    const fetches = gas.host.fetches.length;
    expect(await gas.customFunction('CASCADE', 'lead7.com', 'company.name')).toBe('Lead7');
    expect(gas.host.fetches).toHaveLength(fetches);

    // A range answers as a column, looked up in parallel; a bad row says why in its own cell.
    const column = await gas.customFunction('CASCADE', [['lead1.com'], ['Acme Corp'], ['lead2.org'], ['']], 'company.name');
    expect(column).toEqual([['Lead1'], [expect.stringMatching(/^#ERROR: input: no provider/)], [''], ['']]);
  });

  it('says so when the API cannot be reached', async () => {
    const { gas } = await stack.open(leads(1));
    await gas.run('saveSettings', { apiUrl: 'http://127.0.0.1:9', apiKey: stack.key });
    await expect(gas.customFunction('CASCADE', 'lead3.com', 'company.name')).rejects.toThrow(/^Could not reach the Cascade API at http:\/\/127\.0\.0\.1:9/);
  });
});
