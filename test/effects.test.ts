import { afterEach, describe, expect, it } from 'vitest';
import { HubSpotTargetSchema, SlackTargetSchema, WebhookTargetSchema } from '../api/config/pipeline.js';
import { hubspotSender } from '../api/effects/hubspot.js';
import { slackSender, type LeadNotice } from '../api/effects/slack.js';
import type { OutgoingEffect } from '../api/effects/types.js';
import { webhookSender } from '../api/effects/webhook.js';
import { createHttpClient } from '../api/net/httpClient.js';
import { startFakeHubSpot, type FakeHubSpot } from './fakes/hubspot.js';
import { startFakeSlack, type FakeSlack } from './fakes/slack.js';
import { startWebhookReceiver, type WebhookReceiver } from './fakes/webhookReceiver.js';

// Each sender against its target's stand-in on 127.0.0.1, through the real HTTP client: what each answer becomes.
const http = createHttpClient();
const now = () => Date.now();
let paced = 0;
const pace = async () => {
  paced++;
};
const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  paced = 0;
  await Promise.all(running.splice(0).map((s) => s.close()));
});
const started = <T extends { close(): Promise<void> }>(s: T) => {
  running.push(s);
  return s;
};

const contact = (id: string, email: string, properties: Record<string, string> = { company: 'Initech' }): OutgoingEffect => ({
  id,
  payload: { email, properties },
});

describe('HubSpot', () => {
  const target = async (opts: { requestsPer10s?: number; knownProperties?: string[] } = {}) => {
    const hs: FakeHubSpot = started(await startFakeHubSpot({ token: 'pat-test', ...opts }));
    // The token as the environment would give it, after the schema checked the file names one.
    const cfg = { ...HubSpotTargetSchema.parse({ token: '${env:T}', baseUrl: hs.url, traceProperty: 'cascade_write_id' }), token: 'pat-test' };
    return { hs, sender: hubspotSender('ws/hubspot', cfg, { http }) };
  };

  it('upserts a batch keyed by email and answers each effect with its contact id', async () => {
    const { hs, sender } = await target();
    const out = await sender.send([contact('e1', 'ana@initech.com'), contact('e2', 'bo@globex.com')], pace);
    expect(out).toEqual([
      { kind: 'done', result: { crmId: hs.contacts().get('ana@initech.com')!.id } },
      { kind: 'done', result: { crmId: hs.contacts().get('bo@globex.com')!.id } },
    ]);
    expect(hs.upserts.map((u) => [u.email, u.objectWriteTraceId, u.properties.cascade_write_id])).toEqual([
      ['ana@initech.com', 'e1', 'e1'],
      ['bo@globex.com', 'e2', 'e2'],
    ]);
  });

  it('splits a batch one record of which is refused, each half paced, until the rest go through', async () => {
    const { hs, sender } = await target();
    // The same email twice in one batch is refused whole ("Duplicate IDs"); apart, each is taken.
    const out = await sender.send([contact('e1', 'ana@initech.com'), contact('e2', 'ana@initech.com'), contact('e3', 'cy@hooli.com')], pace);
    expect(out.map((o) => o.kind)).toEqual(['done', 'done', 'done']);
    expect(paced).toBeGreaterThanOrEqual(2);
    expect(hs.requests['/crm/v3/objects/contacts/batch/upsert']?.[400]).toBeGreaterThanOrEqual(1);
  });

  it('fails the batch at once when the portal lacks a property (wrong for every record), and waits out a 429', async () => {
    const missing = await target({ knownProperties: ['company'] });
    const refused = await missing.sender.send([contact('e1', 'ana@initech.com'), contact('e2', 'bo@globex.com')], pace);
    expect(refused.map((o) => o.kind)).toEqual(['failed', 'failed']);
    expect((refused[0] as { error: string }).error).toMatch(/cascade_write_id/);
    expect(paced).toBe(0);

    const limited = await target({ requestsPer10s: 1 });
    expect((await limited.sender.send([contact('e1', 'ana@initech.com')], pace))[0]!.kind).toBe('done');
    expect(await limited.sender.send([contact('e2', 'bo@globex.com')], pace)).toEqual([
      expect.objectContaining({ kind: 'retry', rateLimited: true, afterMs: 10_000 }),
    ]);
  });

  it('reads back a batch in doubt: contacts carrying their write id are done without a second upsert, the rest are sent', async () => {
    const { hs, sender } = await target();
    await sender.send([contact('e1', 'ana@initech.com')], pace);
    const out = await sender.inDoubt([contact('e1', 'ana@initech.com'), contact('e2', 'bo@globex.com')], pace);
    expect(out).toEqual([
      { kind: 'done', result: { crmId: hs.contacts().get('ana@initech.com')!.id, readBack: true } },
      { kind: 'done', result: { crmId: hs.contacts().get('bo@globex.com')!.id } },
    ]);
    expect(hs.duplicateUpserts()).toBe(0);
    expect(hs.upserts).toHaveLength(2);
  });
});

describe('Slack', () => {
  const notice = (lead: string, name: string): LeadNotice => ({
    lead,
    name,
    company: 'Initech <script>',
    email: null,
    score: 85,
    priority: 'high',
    reason: 'Fits the profile.',
    owner: { name: 'Ada', slackId: 'U0ADA' },
  });
  const target = async () => {
    const slack: FakeSlack = started(await startFakeSlack({ burst: 1, perSecond: 1 }));
    const cfg = { ...SlackTargetSchema.parse({ webhookUrl: '${env:U}' }), webhookUrl: `${slack.url}/services/T0/B0/X` };
    return { slack, sender: slackSender('ws/slack', cfg, { http, now }) };
  };

  it('posts one lead as a message and several as one digest, mentioning owners and escaping what leads say', async () => {
    const { slack, sender } = await target();
    expect(await sender.send([{ id: 'n1', payload: notice('j.1', 'Ana Lima') }], pace)).toEqual([{ kind: 'done', result: {} }]);
    expect(slack.messages[0]!.text).toBe(
      'New qualified lead for <@U0ADA>: Ana Lima (Initech &lt;script&gt;), score 85, high priority — AI: _Fits the profile._',
    );
    await new Promise((r) => setTimeout(r, 1100));
    const digest = await sender.send(
      [
        { id: 'n2', payload: notice('j.2', 'Bo') },
        { id: 'n3', payload: notice('j.3', 'Cy') },
      ],
      pace,
    );
    expect(digest).toEqual([
      { kind: 'done', result: { digestOf: 2 } },
      { kind: 'done', result: { digestOf: 2 } },
    ]);
    expect(slack.messages[1]!.text!.split('\n')).toHaveLength(3);
  });

  it('waits out a 429 as Slack asks, fails for good on a revoked webhook, and never sends a message in doubt again', async () => {
    const { slack, sender } = await target();
    await sender.send([{ id: 'n1', payload: notice('j.1', 'Ana') }], pace);
    expect(await sender.send([{ id: 'n2', payload: notice('j.2', 'Bo') }], pace)).toEqual([
      expect.objectContaining({ kind: 'retry', rateLimited: true, afterMs: 1000 }),
    ]);
    slack.revoke('/services/T0/B0/X');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await sender.send([{ id: 'n2', payload: notice('j.2', 'Bo') }], pace)).toEqual([expect.objectContaining({ kind: 'failed' })]);
    const before = slack.messages.length;
    expect(await sender.inDoubt([{ id: 'n3', payload: notice('j.3', 'Cy') }], pace)).toEqual([
      { kind: 'done', result: { inDoubt: expect.stringMatching(/not sent again/) } },
    ]);
    expect(slack.messages).toHaveLength(before);
  });
});

describe('signed webhook', () => {
  it('signs each message so the receiver verifies it, keeps its id on a resend, and tells a 5xx from a refusal', async () => {
    const receiver: WebhookReceiver = started(await startWebhookReceiver({ secret: 'whsec_dGVzdC1zaWduaW5nLWtleQ==' }));
    const cfg = WebhookTargetSchema.parse({ url: '${env:U}', secret: '${env:S}' });
    const sender = webhookSender('ws/deliver-webhook', { ...cfg, url: `${receiver.url}/leads`, secret: 'whsec_dGVzdC1zaWduaW5nLWtleQ==' }, { http, now });
    const e = { id: 'job_1.2.deliver.deliver-webhook', payload: { type: 'lead.delivered' } };
    expect(await sender.send([e], pace)).toEqual([{ kind: 'done' }]);
    expect(await sender.inDoubt([e], pace)).toEqual([{ kind: 'done' }]);
    expect(receiver.deliveries.map((d) => d.id)).toEqual([e.id, e.id]);
    expect(receiver.statuses[401] ?? 0).toBe(0);
    receiver.outage(503);
    expect((await sender.send([e], pace))[0]!.kind).toBe('retry');
    receiver.outage(410);
    expect((await sender.send([e], pace))[0]!.kind).toBe('failed');

    const wrongKey = webhookSender('ws/deliver-webhook', { ...cfg, url: `${receiver.url}/leads`, secret: 'another-secret' }, { http, now });
    receiver.outage(null);
    expect((await wrongKey.send([e], pace))[0]!.kind).toBe('failed');
    expect(receiver.statuses[401]).toBe(1);
  });
});
