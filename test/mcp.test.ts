import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { keysStore } from '../api/storage/keys.js';
import { allResults, domainRows, domains, startHarness, type Harness } from './helpers/harness.js';

/**
 * MCP at /mcp, through the official SDK's client and Streamable HTTP
 * transport against the real server on an ephemeral port, with simulated
 * providers: what an agent's MCP client does, byte for byte.
 */
let h: Harness;
let otherKey: string;
const clients: Client[] = [];

beforeAll(async () => {
  h = await startHarness(
    [
      { id: 'p', fields: ['company.name', 'company.employees'], costPerMatch: 0.02 },
      { id: 'people', input: 'email', fields: ['person.title'] },
    ],
    // A pipeline for the test workspace only: scored and routed, no model, CRM or Slack.
    {
      pipelines: {
        'ws-test': {
          score: { rules: [{ name: 'sized', points: 70, if: { field: 'company.employees', present: true } }] },
          route: { rules: [{ name: 'all', owners: [{ name: 'Ada' }, { name: 'Grace' }] }] },
        },
      },
    },
  );
  otherKey = await keysStore(h.cascade.database.db).create('ws-other', Date.now());
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => h?.stop());

async function connect(key: string | null = h.key): Promise<Client> {
  const client = new Client({ name: 'cascade-test', version: '1.0.0' });
  const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
  await client.connect(new StreamableHTTPClientTransport(new URL(`${h.cascade.url}/mcp`), { requestInit: { headers } }));
  clients.push(client);
  return client;
}

const call = async (client: Client, name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
/** A successful call's structured content; a tool error fails the test with its text. */
const ok = (r: CallToolResult): any => {
  expect(r.isError, text(r)).toBeFalsy();
  expect(r.structuredContent).toBeDefined();
  // The JSON is also in the text, for clients that show only text.
  expect(r.content.some((c) => c.type === 'text' && c.text === JSON.stringify(r.structuredContent))).toBe(true);
  return r.structuredContent;
};

describe('MCP at /mcp', () => {
  it('lists the seven tools, each with an input and output schema and no workspace argument', async () => {
    const client = await connect();
    expect(client.getServerVersion()?.name).toBe('cascade');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['enrich_row', 'estimate_column', 'job_progress', 'job_results', 'lead_run', 'start_job', 'submit_leads']);
    for (const t of tools) {
      expect(t.inputSchema.type, t.name).toBe('object');
      expect(t.outputSchema?.type, t.name).toBe('object');
      expect(Object.keys(t.inputSchema.properties ?? {}), t.name).not.toContain('workspace');
    }
    const enrich = tools.find((t) => t.name === 'enrich_row')!;
    expect(enrich.inputSchema.required).toEqual(expect.arrayContaining(['input', 'fields']));
    expect(Object.keys(enrich.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(['input', 'fields', 'deadlineMs']));
  });

  it('enriches a row through the providers, and the same lookup again from the cache', async () => {
    const client = await connect();
    const before = h.calls('p').length;
    const row = ok(await call(client, 'enrich_row', { input: { domain: 'https://www.MCP-Acme.com/about' }, fields: ['company.name'], deadlineMs: 5000 }));
    expect(row).toMatchObject({ status: 'matched', sources: { 'company.name': 'p' }, missing: [] });
    expect(typeof row.values['company.name']).toBe('string');
    expect(h.calls('p').slice(before)).toEqual(['mcp-acme.com']);
    // The HTTP API sees the same cache: the workspace is the key's on both doors.
    const http = await h.api('/v1/enrich', { body: { input: { domain: 'mcp-acme.com' }, fields: ['company.name'] } });
    expect(http.body).toMatchObject({ values: row.values, provenance: { 'company.name': { cached: true } } });
    expect(h.calls('p').length).toBe(before + 1);
  });

  it('estimates a column without buying anything', async () => {
    const client = await connect();
    const before = h.sim.requests.length;
    const est = ok(
      await call(client, 'estimate_column', { fields: ['company.name'], inputs: [{ domain: 'est1.com' }, { domain: 'est2.com' }, { email: 'not-an-email' }] }),
    );
    expect(est).toMatchObject({ rows: 3, invalid: 1, cached: 0 });
    expect(est.maxCostUsd).toBeCloseTo(0.04);
    expect(h.sim.requests.length).toBe(before);
  });

  it('starts a job, follows its progress to done and pages its results as the HTTP API does', async () => {
    const client = await connect();
    const rows = domainRows(domains(7, 'com', 'mcpjob'));
    const { id } = ok(await call(client, 'start_job', { fields: ['company.name'], rows, maxCostUsd: 1 }));
    expect(id).toMatch(/^job_/);
    let view: any;
    for (let i = 0; i < 3000; i++) {
      view = ok(await call(client, 'job_progress', { jobId: id }));
      if (view.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(view).toMatchObject({ id, status: 'done', maxCostUsd: 1, counts: { total: 7, matched: 7 } });
    expect(view).toEqual((await h.api(`/v1/jobs/${id}`)).body);

    // Three pages of at most 3, following `next`, hold what the HTTP API answers.
    const paged: any[] = [];
    let after: string | undefined;
    for (let page = 0; page < 3; page++) {
      const res = ok(await call(client, 'job_results', { jobId: id, limit: 3, ...(after ? { after } : {}) }));
      paged.push(...res.rows);
      after = res.next;
    }
    expect(after).toBeUndefined();
    expect(paged).toEqual(await allResults(h, id));
    expect(paged.map((r) => r.key)).toEqual(rows.map((r) => r.key));
    const none = ok(await call(client, 'job_results', { jobId: id, status: 'failed' }));
    expect(none).toEqual({ rows: [] });
  });

  it("submits a lead to the workspace's pipeline and follows its run; a workspace without one is told so", async () => {
    const client = await connect();
    const submitted = ok(await call(client, 'submit_leads', { source: 'agent', leads: [{ input: { email: 'ana@mcp-lead.com' } }], fields: ['person.title'] }));
    const id = submitted.leads[0].id;
    let run: any;
    for (let i = 0; i < 500 && !['matched', 'partial', 'no_match', 'failed'].includes(run?.status); i++) {
      run = ok(await call(client, 'lead_run', { id }));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(run).toMatchObject({ id, source: 'agent', values: { 'lead.score': 70, 'lead.owner': 'Ada', 'person.title': expect.any(String) } });
    expect(run.steps.map((s: { step: string; outcome: string }) => `${s.step} ${s.outcome}`)).toEqual([
      'dedup done',
      'enrich done',
      'score done',
      'qualify skipped',
      'route done',
      'deliver skipped',
      'notify skipped',
    ]);

    const other = await connect(otherKey);
    const refused = await call(other, 'submit_leads', { source: 'agent', leads: [{ input: { email: 'bo@mcp-lead.com' } }] });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/^pipeline_not_configured: /);
    // Another workspace's lead is as absent as one that never was.
    expect(text(await call(other, 'lead_run', { id }))).toMatch(/^not_found: /);
  });

  it('refuses a missing or unknown key with 401 before any tool runs', async () => {
    for (const key of ['csk_nope', null]) {
      const err = await connect(key).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, String(key)).toBeInstanceOf(StreamableHTTPError);
      expect((err as StreamableHTTPError).code).toBe(401);
    }
  });

  it("does not find another workspace's job, and scopes its jobs to it", async () => {
    const mine = await connect();
    const { id } = ok(await call(mine, 'start_job', { fields: ['company.name'], rows: domainRows(['scoped.com']) }));
    const other = await connect(otherKey);
    for (const [tool, args] of [
      ['job_progress', { jobId: id }],
      ['job_results', { jobId: id }],
    ] as const) {
      const res = await call(other, tool, args);
      expect(res.isError, tool).toBe(true);
      expect(res.structuredContent).toBeUndefined();
      expect(text(res)).toBe(`not_found: no job ${id} in this workspace (at id)`);
    }
    // The other workspace's own job is found by it, and not by the first.
    const theirs = ok(await call(other, 'start_job', { fields: ['company.name'], rows: domainRows(['scoped2.com']) }));
    expect(ok(await call(other, 'job_progress', { jobId: theirs.id })).id).toBe(theirs.id);
    expect((await call(mine, 'job_progress', { jobId: theirs.id })).isError).toBe(true);
  });

  it('answers bad arguments and refused requests with a tool error, not a transport error', async () => {
    const client = await connect();
    // The SDK's validation, against the shared schemas: an unknown input field, a deadline out of range, a bad cursor, a missing argument.
    for (const [tool, args, where] of [
      ['enrich_row', { input: { phone: '+1 555' }, fields: ['company.name'] }, 'input'],
      ['enrich_row', { input: { domain: 'a.com' }, fields: ['company.name'], deadlineMs: 10 }, 'deadlineMs'],
      ['job_results', { jobId: 'job_x', after: 'next' }, 'after'],
      ['estimate_column', { fields: ['company.name'] }, 'inputs'],
      ['start_job', { fields: ['company.name'], rows: [{ key: 'a\u0000b', input: {} }] }, 'rows'],
    ] as const) {
      const res = await call(client, tool, args);
      expect(res.isError, tool).toBe(true);
      expect(text(res), tool).toMatch(/Input validation error: Invalid arguments for tool /);
      expect(text(res), tool).toContain(where);
    }
    // Past validation, the service's refusal: its code and message.
    const field = await call(client, 'enrich_row', { input: { domain: 'a.com' }, fields: ['person.phone'] });
    expect(field.isError).toBe(true);
    expect(text(field)).toMatch(/^invalid_body: .*person\.phone/);
    // A bad cell is a row flag, as over HTTP, not a refusal.
    const flagged = ok(await call(client, 'enrich_row', { input: { email: 'not-an-email' }, fields: ['person.title'] }));
    expect(flagged).toMatchObject({ status: 'invalid_input', error: { code: 'invalid_input' } });
  });

  it('answers malformed JSON-RPC, batches and other methods with JSON-RPC errors, never a 5xx', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${h.cascade.url}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        body,
      });
    const cases: [Promise<Response>, number, number][] = [
      [post('{"jsonrpc":'), 400, -32700],
      [post('{"jsonrpc":"2.0","method":1,"id":1}'), 400, -32700],
      [post('[{"jsonrpc":"2.0","method":"ping","id":1}]'), 400, -32600],
      [post('{"jsonrpc":"2.0","method":"ping","id":1}', { accept: 'text/html' }), 406, -32000],
      [post('{"jsonrpc":"2.0","method":"ping","id":1}', { 'content-type': 'text/plain' }), 415, -32000],
      [fetch(`${h.cascade.url}/mcp`, { headers: { authorization: `Bearer ${h.key}`, accept: 'text/event-stream' } }), 405, -32000],
      [fetch(`${h.cascade.url}/mcp`, { method: 'DELETE', headers: { authorization: `Bearer ${h.key}` } }), 405, -32000],
    ];
    for (const [res, status, code] of cases) {
      const r = await res;
      expect(r.status).toBe(status);
      expect(await r.json()).toMatchObject({ jsonrpc: '2.0', error: { code }, id: null });
    }
    // A well-formed request for a method the server has not: JSON-RPC's method-not-found, answered with 200.
    const unknown = await post('{"jsonrpc":"2.0","method":"tools/destroy","id":7}');
    expect(unknown.status).toBe(200);
    expect(await unknown.json()).toMatchObject({ id: 7, error: { code: -32601 } });
    // Over the body limit: refused before it is parsed, as on /v1.
    const big = await post(`{"jsonrpc":"2.0","method":"ping","id":1,"x":"${'a'.repeat(8 * 1024 * 1024)}"}`);
    expect(big.status).toBe(413);
  });
});
