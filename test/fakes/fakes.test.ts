import { createHmac, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type FakeHubSpotOptions, startFakeHubSpot } from './hubspot.js';
import { type FakeLlmOptions, startFakeLlm } from './llm.js';
import { type FakeSlackOptions, startFakeSlack } from './slack.js';
import { startWebhookReceiver } from './webhookReceiver.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});
function track<T extends { close(): Promise<void> }>(fake: T): T {
  open.push(fake);
  return fake;
}

const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('fake HubSpot', () => {
  const TOKEN = 'pat-na1-test';
  const auth = { authorization: `Bearer ${TOKEN}` };
  const start = async (opts: Partial<FakeHubSpotOptions> = {}) => track(await startFakeHubSpot({ token: TOKEN, ...opts }));
  const input = (email: string, properties: Record<string, unknown> = {}, objectWriteTraceId?: string) => ({
    id: email,
    idProperty: 'email',
    properties,
    objectWriteTraceId,
  });

  it('upserts by email: creates, then merges into the same record, with rate-limit headers and no Retry-After', async () => {
    const hs = await start();
    const upsert = `${hs.url}/crm/v3/objects/contacts/batch/upsert`;
    const first = await postJson(upsert, { inputs: [input('Ann@Example.com', { firstname: 'Ann' })] }, auth);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
    expect(first.headers.get('x-hubspot-ratelimit-max')).toBe('100');
    expect(first.headers.get('x-hubspot-ratelimit-remaining')).toBe('99');
    expect(first.headers.get('retry-after')).toBeNull();
    const a = (await first.json()) as any;
    expect(a).toMatchObject({ status: 'COMPLETE', startedAt: expect.any(String), completedAt: expect.any(String) });
    expect(a.results).toEqual([
      {
        id: expect.stringMatching(/^\d+$/),
        new: true,
        properties: { firstname: 'Ann', email: 'ann@example.com' },
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      },
    ]);

    const second = (await (await postJson(upsert, { inputs: [input('ann@example.com', { icp_score: 72 })] }, auth)).json()) as any;
    expect(second.results[0]).toMatchObject({ id: a.results[0].id, new: false, properties: { firstname: 'Ann', icp_score: '72' } });
    expect(hs.contacts().get('ann@example.com')?.properties).toEqual({ email: 'ann@example.com', firstname: 'Ann', icp_score: '72' });
    expect(hs.upserts.map((u) => u.email)).toEqual(['ann@example.com', 'ann@example.com']);
    expect(hs.requests['/crm/v3/objects/contacts/batch/upsert']).toEqual({ 200: 2 });
  });

  it('refuses a missing or wrong token with 401 INVALID_AUTHENTICATION', async () => {
    const hs = await start();
    const upsert = `${hs.url}/crm/v3/objects/contacts/batch/upsert`;
    for (const headers of [{}, { authorization: 'Bearer nope' }] as Record<string, string>[]) {
      const res = await postJson(upsert, { inputs: [input('a@b.co')] }, headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION', message: expect.any(String) });
    }
    expect(hs.upserts).toEqual([]);
  });

  it('refuses more than 100 inputs, duplicate ids and unknown properties with 400 VALIDATION_ERROR, writing nothing', async () => {
    const hs = await start({ knownProperties: ['icp_score'] });
    const upsert = `${hs.url}/crm/v3/objects/contacts/batch/upsert`;
    const tooMany = await postJson(upsert, { inputs: Array.from({ length: 101 }, (_, i) => input(`l${i}@b.co`)) }, auth);
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR', message: expect.stringContaining('101') });

    const twice = await postJson(upsert, { inputs: [input('a@b.co'), input('A@b.co')] }, auth);
    expect(twice.status).toBe(400);
    expect(((await twice.json()) as any).message).toContain('Duplicate IDs');

    const unknown = await postJson(upsert, { inputs: [input('a@b.co', { icp_score: 80, qualification_reason: 'fits' })] }, auth);
    expect(unknown.status).toBe(400);
    const body = (await unknown.json()) as any;
    expect(body.category).toBe('VALIDATION_ERROR');
    expect(body.message).toContain('Property "qualification_reason" does not exist');
    expect(body.message).not.toContain('icp_score');

    expect(hs.contacts().size).toBe(0);
    expect(hs.upserts).toEqual([]);
    const exactly100 = await postJson(upsert, { inputs: Array.from({ length: 100 }, (_, i) => input(`l${i}@b.co`, { icp_score: i })) }, auth);
    expect(exactly100.status).toBe(200);
  });

  it('answers the request past the rolling 10-second limit with 429 TEN_SECONDLY_ROLLING, and no Retry-After', async () => {
    const hs = await start({ requestsPer10s: 5 });
    const read = `${hs.url}/crm/v3/objects/contacts/batch/read`;
    const answers = await Promise.all(Array.from({ length: 6 }, () => postJson(read, { idProperty: 'email', inputs: [], properties: [] }, auth)));
    const limited = answers.filter((r) => r.status === 429);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 429]);
    expect(await limited[0]!.json()).toMatchObject({
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      policyName: 'TEN_SECONDLY_ROLLING',
    });
    expect(limited[0]!.headers.get('x-hubspot-ratelimit-max')).toBe('5');
    expect(limited[0]!.headers.get('x-hubspot-ratelimit-remaining')).toBe('0');
    expect(limited[0]!.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
    expect(limited[0]!.headers.get('retry-after')).toBeNull();
    expect(hs.requests['/crm/v3/objects/contacts/batch/read']).toEqual({ 200: 5, 429: 1 });
  });

  it('batch-reads by email: 200 when all exist, 207 with OBJECT_NOT_FOUND naming the missing ones', async () => {
    const hs = await start();
    await postJson(`${hs.url}/crm/v3/objects/contacts/batch/upsert`, { inputs: [input('a@b.co', { icp_score: 70, firstname: 'A' })] }, auth);
    const read = `${hs.url}/crm/v3/objects/contacts/batch/read`;
    const found = await postJson(read, { idProperty: 'email', inputs: [{ id: 'A@b.co' }], properties: ['icp_score', 'lifecyclestage'] }, auth);
    expect(found.status).toBe(200);
    expect(await found.json()).toMatchObject({
      status: 'COMPLETE',
      results: [{ id: expect.stringMatching(/^\d+$/), properties: { email: 'a@b.co', icp_score: '70', lifecyclestage: null } }],
    });

    const partial = await postJson(read, { idProperty: 'email', inputs: [{ id: 'a@b.co' }, { id: 'x@y.co' }], properties: [] }, auth);
    expect(partial.status).toBe(207);
    const body = (await partial.json()) as any;
    expect(body.results.map((r: any) => r.properties.email)).toEqual(['a@b.co']);
    expect(body.errors).toEqual([{ status: 'error', category: 'OBJECT_NOT_FOUND', context: { ids: ['x@y.co'] }, message: expect.any(String) }]);
  });

  it('counts a write sent again with the same objectWriteTraceId as a duplicate upsert', async () => {
    const hs = await start();
    const upsert = `${hs.url}/crm/v3/objects/contacts/batch/upsert`;
    await postJson(upsert, { inputs: [input('a@b.co', { icp_score: 70 }, 'job1:row2'), input('c@d.co', {}, 'job1:row3')] }, auth);
    await postJson(upsert, { inputs: [input('A@b.co', { icp_score: 70 }, 'job1:row2')] }, auth);
    await postJson(upsert, { inputs: [input('a@b.co', { icp_score: 75 }, 'job2:row2')] }, auth);
    expect(hs.upserts.map((u) => u.objectWriteTraceId)).toEqual(['job1:row2', 'job1:row3', 'job1:row2', 'job2:row2']);
    expect(hs.duplicateUpserts()).toBe(1);
  });

  it('answers every request with the outage status until cleared, and waits delayMs before answering', async () => {
    const hs = await start();
    const upsert = `${hs.url}/crm/v3/objects/contacts/batch/upsert`;
    hs.outage(500);
    const down = await postJson(upsert, { inputs: [input('a@b.co')] }, auth);
    expect(down.status).toBe(500);
    expect(await down.json()).toMatchObject({ status: 'error', message: expect.any(String) });
    hs.outage(null);
    hs.delayMs = 50;
    const started = performance.now();
    expect((await postJson(upsert, { inputs: [input('a@b.co')] }, auth)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(49);
    expect(hs.requests['/crm/v3/objects/contacts/batch/upsert']).toEqual({ 200: 1, 500: 1 });
    expect(hs.upserts).toHaveLength(1);
  });
});

describe('fake Slack', () => {
  const HOOK = '/services/T000/B000/XXXX';
  const start = async (opts: FakeSlackOptions = {}) => track(await startFakeSlack(opts));

  it('answers 200 ok as text to a message with text or blocks, and records it', async () => {
    const slack = await start();
    const res = await postJson(slack.url + HOOK, { text: 'New qualified lead: ann@example.com' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('ok');
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Ann*' } }];
    expect((await postJson(slack.url + HOOK, { blocks })).status).toBe(200);
    expect(slack.messages).toEqual([
      { path: HOOK, text: 'New qualified lead: ann@example.com', blocks: undefined, at: expect.any(Number) },
      { path: HOOK, text: undefined, blocks, at: expect.any(Number) },
    ]);
    expect(slack.statuses).toEqual({ 200: 2 });
  });

  it('answers 400 invalid_payload to a message with neither text nor blocks, or a body that is not JSON', async () => {
    const slack = await start();
    for (const body of [{}, { text: '' }, 'text=hi']) {
      const res = await postJson(slack.url + HOOK, body);
      expect(res.status).toBe(400);
      expect(await res.text()).toBe('invalid_payload');
    }
    expect(slack.messages).toEqual([]);
  });

  it('answers 429 rate_limited with Retry-After once a webhook has spent its burst, per webhook', async () => {
    const slack = await start({ burst: 3, perSecond: 0.001 });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await postJson(slack.url + HOOK, { text: `m${i}` }));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(await answers[3]!.text()).toBe('rate_limited');
    expect(Number(answers[3]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await postJson(`${slack.url}/services/T000/B001/YYYY`, { text: 'other channel' })).status).toBe(200);
    expect(slack.messages).toHaveLength(4);
  });

  it('says Retry-After: 1 at the default rate of one message a second', async () => {
    const slack = await start();
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => postJson(slack.url + HOOK, { text: `m${i}` })));
    const limited = answers.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) expect(r.headers.get('retry-after')).toBe('1');
  });

  it('answers 404 no_service for a revoked webhook or a path that is none, and the outage status until cleared', async () => {
    const slack = await start();
    slack.revoke(slack.url + HOOK);
    for (const path of [HOOK, '/services/T000/B000', '/api/chat.postMessage']) {
      const res = await postJson(slack.url + path, { text: 'hi' });
      expect([res.status, await res.text()]).toEqual([404, 'no_service']);
    }
    slack.outage(410);
    const archived = await postJson(`${slack.url}/services/T1/B1/Z`, { text: 'hi' });
    expect([archived.status, await archived.text()]).toEqual([410, 'channel_is_archived']);
    slack.outage(null);
    expect((await postJson(`${slack.url}/services/T1/B1/Z`, { text: 'hi' })).status).toBe(200);
    expect(slack.statuses).toEqual({ 404: 3, 410: 1, 200: 1 });
  });
});

describe('fake LLM', () => {
  const start = async (opts: FakeLlmOptions = {}) => track(await startFakeLlm(opts));
  const ask = (baseUrl: string, userContent: unknown, init: RequestInit = {}) =>
    fetch(`${baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        response_format: { type: 'json_object' },
        messages: [
          { role: 'system', content: 'Qualify the lead. Answer JSON {"qualified": boolean, "reason": string}.' },
          { role: 'user', content: userContent },
        ],
      }),
      ...init,
    });
  const contentOf = async (res: Response) => ((await res.json()) as any).choices[0].message.content as string | null;

  it("answers in OpenAI's chat.completion shape, qualifying by the score in the last user message", async () => {
    const llm = await start();
    const res = await ask(llm.baseUrl, JSON.stringify({ email: 'ann@example.com', score: 72 }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toEqual({
      id: expect.any(String),
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'gpt-4o-mini',
      choices: [{ index: 0, message: { role: 'assistant', content: expect.any(String), refusal: null }, finish_reason: 'stop' }],
      usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) },
    });
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(JSON.parse(body.choices[0].message.content)).toEqual({ qualified: true, reason: expect.any(String) });
    expect(JSON.parse((await contentOf(await ask(llm.baseUrl, 'Lead: bob@example.com\nscore: 59'))) ?? '')).toMatchObject({ qualified: false });
    expect(JSON.parse((await contentOf(await ask(llm.baseUrl, [{ type: 'text', text: '{"score": 60}' }]))) ?? '')).toMatchObject({ qualified: true });
    expect(JSON.parse((await contentOf(await ask(llm.baseUrl, 'no score here'))) ?? '')).toMatchObject({ qualified: false });
    expect(llm.requests.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  it('takes an answering function instead of the default', async () => {
    const llm = await start({ answer: (messages) => ({ content: `${messages.length} messages` }) });
    expect(await contentOf(await ask(llm.baseUrl, 'hi'))).toBe('2 messages');
  });

  it("answers rate_limited with 429, retry-after and x-ratelimit-reset-requests, and error with 500, in OpenAI's error shape", async () => {
    const llm = await start();
    llm.mode('rate_limited');
    const limited = await ask(llm.baseUrl, '{"score": 90}');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('x-ratelimit-reset-requests')).toBe('1s');
    expect(await limited.json()).toEqual({ error: { message: expect.any(String), type: 'requests', param: null, code: 'rate_limit_exceeded' } });
    llm.mode('error');
    const failed = await ask(llm.baseUrl, '{"score": 90}');
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ error: { message: expect.any(String), type: 'server_error' } });
  });

  it('answers refusal with null content and a refusal, and malformed with content that is not JSON', async () => {
    const llm = await start();
    llm.mode('refusal');
    const refused = await ask(llm.baseUrl, '{"score": 90}');
    expect(refused.status).toBe(200);
    expect(((await refused.json()) as any).choices[0].message).toEqual({ role: 'assistant', content: null, refusal: "I can't help with that." });
    llm.mode('malformed');
    const content = await contentOf(await ask(llm.baseUrl, '{"score": 90}'));
    expect(() => JSON.parse(content ?? '')).toThrow();
  });

  it('fails only the next n requests with failNext, and picks a mode per request with a function', async () => {
    const llm = await start();
    llm.failNext(2, 'rate_limited');
    llm.failNext(1, 'error');
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await ask(llm.baseUrl, '{"score": 90}')).status);
    expect(statuses).toEqual([429, 429, 500, 200]);
    llm.mode((body) => (JSON.stringify(body.messages).includes('vip') ? 'error' : 'ok'));
    expect((await ask(llm.baseUrl, 'vip lead')).status).toBe(500);
    expect((await ask(llm.baseUrl, 'plain lead')).status).toBe(200);
  });

  it('counts as duplicates only repeats of a key already answered ok', async () => {
    const llm = await start();
    const emailOf = (messages: { content: unknown }[]) => /[\w.]+@[\w.]+/.exec(JSON.stringify(messages.at(-1)?.content))?.[0];
    await ask(llm.baseUrl, 'ann@example.com score: 70');
    await ask(llm.baseUrl, 'ann@example.com score: 70');
    llm.failNext(1, 'rate_limited');
    await ask(llm.baseUrl, 'bob@example.com score: 10');
    await ask(llm.baseUrl, 'bob@example.com score: 10');
    llm.failNext(1, 'malformed');
    await ask(llm.baseUrl, 'cy@example.com score: 10');
    await ask(llm.baseUrl, 'cy@example.com score: 10');
    expect(llm.duplicates(emailOf)).toBe(1);
  });

  it('hangs until the client aborts, and close() ends a server holding a hung request', async () => {
    const llm = await start();
    llm.mode('hang');
    const abort = new AbortController();
    const aborted = ask(llm.baseUrl, 'x', { signal: abort.signal });
    await vi.waitFor(() => expect(llm.requests).toHaveLength(1));
    abort.abort();
    await expect(aborted).rejects.toThrow();

    const hung = ask(llm.baseUrl, 'y');
    await vi.waitFor(() => expect(llm.requests).toHaveLength(2));
    await llm.close();
    await expect(hung).rejects.toThrow();
    expect(llm.requests.map((r) => [r.mode, r.status])).toEqual([
      ['hang', undefined],
      ['hang', undefined],
    ]);
  });
});

describe('webhook receiver', () => {
  const sign = (key: Buffer | string, id: string, ts: string | number, body: string) =>
    `v1,${createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')}`;
  const now = () => Math.floor(Date.now() / 1000);
  const deliver = (url: string, headers: Record<string, string>, body: string) => postJson(url, body, headers);

  it('accepts a delivery signed with a raw secret (its UTF-8 bytes) and records it', async () => {
    const hook = track(await startWebhookReceiver({ secret: 'shared-secret' }));
    const body = JSON.stringify({ type: 'lead.qualified', data: { email: 'ann@example.com' } });
    const ts = now();
    const res = await deliver(
      `${hook.url}/hooks/cascade`,
      { 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': sign('shared-secret', 'msg_1', ts, body) },
      body,
    );
    expect(res.status).toBe(204);
    expect(hook.deliveries).toEqual([{ id: 'msg_1', timestamp: ts, body: JSON.parse(body), at: expect.any(Number) }]);
  });

  it('decodes a whsec_ secret from base64, and takes any matching entry of a signature list', async () => {
    const key = randomBytes(24);
    const hook = track(await startWebhookReceiver({ secret: `whsec_${key.toString('base64')}` }));
    const body = '{"type":"lead.qualified"}';
    const ts = now();
    const headers = (signature: string) => ({ 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': signature });
    const rotated = `${sign('old-secret', 'msg_1', ts, body)} ${sign(key, 'msg_1', ts, body)}`;
    expect((await deliver(hook.url, headers(rotated), body)).status).toBe(204);
    const undecoded = await deliver(hook.url, headers(sign(`whsec_${key.toString('base64')}`, 'msg_1', ts, body)), body);
    expect(undecoded.status).toBe(401);
  });

  it('refuses a wrong signature or a tampered body with 401, and a stale, future or missing timestamp with 400', async () => {
    const hook = track(await startWebhookReceiver({ secret: 'shared-secret' }));
    const body = '{"type":"lead.qualified"}';
    const ts = now();
    const signed = (t: number) => ({ 'webhook-id': 'msg_1', 'webhook-timestamp': String(t), 'webhook-signature': sign('shared-secret', 'msg_1', t, body) });
    expect((await deliver(hook.url, { ...signed(ts), 'webhook-signature': sign('wrong', 'msg_1', ts, body) }, body)).status).toBe(401);
    expect((await deliver(hook.url, { ...signed(ts), 'webhook-signature': 'v1,bm90IGEgc2ln' }, body)).status).toBe(401);
    expect((await deliver(hook.url, signed(ts), '{"type":"lead.rejected"}')).status).toBe(401);
    expect((await deliver(hook.url, signed(ts - 600), body)).status).toBe(400);
    expect((await deliver(hook.url, signed(ts + 600), body)).status).toBe(400);
    expect((await deliver(hook.url, { 'webhook-id': 'msg_1', 'webhook-signature': sign('shared-secret', 'msg_1', ts, body) }, body)).status).toBe(400);
    expect(hook.deliveries).toEqual([]);
    expect(hook.statuses).toEqual({ 401: 3, 400: 3 });
  });

  it('accepts a redelivered webhook-id and counts it as a duplicate; answers the outage status until cleared', async () => {
    const hook = track(await startWebhookReceiver({ secret: 'shared-secret' }));
    const send = (id: string, body: string) => {
      const ts = now();
      return deliver(hook.url, { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sign('shared-secret', id, ts, body) }, body);
    };
    hook.outage(503);
    expect((await send('msg_1', '{"n":1}')).status).toBe(503);
    hook.outage(null);
    expect((await send('msg_1', '{"n":1}')).status).toBe(204);
    expect((await send('msg_1', '{"n":1}')).status).toBe(204);
    expect((await send('msg_2', '{"n":2}')).status).toBe(204);
    expect(hook.deliveries.map((d) => d.id)).toEqual(['msg_1', 'msg_1', 'msg_2']);
    expect(hook.duplicates()).toBe(1);
  });
});
