import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../../test/fakes/slack.js';
import { systemClock } from '../../clock.js';
import { SlackTargetSchema } from '../../config/pipeline.js';
import { slackSender, type LeadNotice } from '../../effects/slack.js';
import { createHttpClient } from '../../net/httpClient.js';
import { openDatabase, type Database } from '../../storage/db.js';
import { effectsStore } from '../../storage/effects.js';
import { Outbox } from './outbox.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

const notice = (lead: string): LeadNotice => ({
  lead,
  name: lead,
  company: null,
  email: null,
  score: 90,
  priority: 'high',
  reason: null,
  owner: { name: 'Ada' },
});

/** An outbox sending to the Slack fake at `perSecond` (its default burst of 3), over a libSQL file in a temp dir. */
async function world(perSecond: number, digestMax: number) {
  const dir = mkdtempSync(join(tmpdir(), 'cascade-outbox-'));
  const database: Database = await openDatabase(`file:${join(dir, 'db.sqlite')}`);
  const slack: FakeSlack = await startFakeSlack({ perSecond });
  const cfg = { ...SlackTargetSchema.parse({ webhookUrl: '${env:U}', perSecond, digestMax }), webhookUrl: `${slack.url}/services/T0/B0/X` };
  const store = effectsStore(database.db);
  const outbox = new Outbox({
    store,
    senders: [slackSender('ws/slack', cfg, { http: createHttpClient(), now: Date.now })],
    clock: systemClock,
    workerId: 'w1',
    retryDelaysMs: [50],
    pollMs: 20,
    random: Math.random,
    isCancelled: () => false,
    onError: (err) => {
      throw err;
    },
  });
  outbox.start();
  open.push({
    async close() {
      await outbox.stop();
      await slack.close();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
  const effect = (lead: string, priority: number) => ({
    id: `${lead}.notify.ws/slack`,
    workspaceId: 'ws',
    target: 'ws/slack',
    jobId: 'job_1',
    seq: 0,
    payload: notice(lead),
    priority,
  });
  const leadsOf = (text = '') => [...text.matchAll(/(bulk|form)\d+/g)].map((m) => m[0]);
  return { slack, outbox, store, effect, leadsOf };
}

describe('Outbox pacing', () => {
  it("paces bulk effects to their share of the target's rate, so a backlog leaves room, and never passes the rate", async () => {
    // 10 a second, half kept for effects someone waits on: bulk messages start at most 5 in any second.
    const { slack, outbox, effect } = await world(10, 2);
    const sent = Array.from({ length: 24 }, (_, i) => outbox.deliver(effect(`bulk${i}`, 0)));
    await Promise.all(sent);
    const at = slack.messages.map((m) => m.at);
    expect(at).toHaveLength(12);
    // Counted where they arrive, so over 800 ms rather than a second: a start
    // held up on its way (a loaded machine) may land in the next start's second.
    // The full rate would put 8 in such a window; the bulk share puts at most 5.
    const mostInAWindow = Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + 800).length));
    expect(mostInAWindow).toBeLessThanOrEqual(5);
    expect(slack.statuses[429] ?? 0).toBe(0);
  });

  it('sends an urgent effect in its own share of the rate while bulk effects wait for theirs, ahead of them', async () => {
    // One message every 5 s: the bulk share allows one per 10 s, and so does the urgent share.
    const { slack, outbox, effect, leadsOf } = await world(0.2, 2);
    for (let i = 0; i < 6; i++) void outbox.deliver(effect(`bulk${i}`, 0));
    while (slack.messages.length === 0) await new Promise((r) => setTimeout(r, 10));
    // The bulk share is spent for 10 s; one rate for all would hold this one 5 s. It goes now (with the oldest bulk one).
    const form = await outbox.deliver(effect('form0', 1));
    expect(form?.status).toBe('done');
    expect(slack.messages).toHaveLength(2);
    expect(leadsOf(slack.messages[1]!.text)).toContain('form0');
    expect(slack.messages[1]!.at - slack.messages[0]!.at).toBeLessThan(5000);
    expect(slack.statuses[429] ?? 0).toBe(0);
  });
});
