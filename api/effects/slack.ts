import type { SlackTarget } from '../config/pipeline.js';
import { waitFromHeaders } from '../providers/http/retryAfter.js';
import type { HttpClient } from '../providers/types.js';
import { neverSent, outcomeOfStatus, type EffectOutcome, type EffectSender, type OutgoingEffect } from './types.js';

/** What a rep is told of a qualified lead. */
export interface LeadNotice {
  lead: string;
  name: string | null;
  company: string | null;
  email: string | null;
  score: number | null;
  priority: string | null;
  /** The model's one-sentence reason: shown as the model's judgement. */
  reason: string | null;
  owner: { name: string; slackId?: string };
}

/** Slack's mrkdwn treats these as control characters; a lead's name must not ping a channel or forge a link. */
const mrkdwn = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

function line(n: LeadNotice): string {
  const who = n.owner.slackId ? `<@${n.owner.slackId}>` : mrkdwn(n.owner.name);
  const lead = mrkdwn([n.name, n.company && `(${n.company})`].filter(Boolean).join(' ') || n.email || n.lead);
  const score = n.score === null ? '' : `, score ${n.score}`;
  const priority = n.priority ? `, ${n.priority} priority` : '';
  const reason = n.reason ? ` — AI: _${mrkdwn(n.reason)}_` : '';
  return `${who}: ${lead}${score}${priority}${reason}`;
}

/** One message for one lead; a digest when several wait (Slack takes about one message a second per webhook). */
export function slackMessage(notices: LeadNotice[]): { text: string } {
  if (notices.length === 1) return { text: `New qualified lead for ${line(notices[0]!)}` };
  return { text: [`${notices.length} new qualified leads:`, ...notices.map((n) => `• ${line(n)}`)].join('\n') };
}

/**
 * A Slack incoming webhook. At most once: a message whose answer was lost
 * (a timeout, a crash while it was out) may have been posted, and Slack has
 * no idempotency key, so it is never sent again; only a refusal Slack
 * answered (429, 5xx) or a connection never made is tried again.
 */
export function slackSender(target: string, cfg: SlackTarget, deps: { http: HttpClient; now: () => number }): EffectSender {
  const send = async (effects: OutgoingEffect[]): Promise<EffectOutcome[]> => {
    const all = (o: EffectOutcome) => effects.map(() => o);
    const body = JSON.stringify(slackMessage(effects.map((e) => e.payload as LeadNotice)));
    try {
      const res = await deps.http({
        method: 'POST',
        url: cfg.webhookUrl,
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(cfg.timeoutMs),
        maxBytes: 16 * 1024,
      });
      const out = outcomeOfStatus(res.status, 'Slack', res.body);
      const digest = effects.length > 1 ? { digestOf: effects.length } : {};
      if (out.kind === 'done') return all({ kind: 'done', result: digest });
      return all(out.kind === 'retry' && out.rateLimited ? { ...out, afterMs: waitFromHeaders(res.headers, deps.now()) ?? 1000 } : out);
    } catch (err) {
      if (neverSent(err)) return all({ kind: 'retry', error: 'Slack could not be reached' });
      return all({ kind: 'done', result: { inDoubt: 'the answer was lost; not sent again (at most once)' } });
    }
  };
  return {
    target,
    batchSize: cfg.digestMax,
    ratePerSecond: cfg.perSecond,
    // Half of the messages kept for form leads' notices: an import's notices wait for the next digest, which only grows.
    urgentShare: 0.5,
    timeoutMs: cfg.timeoutMs,
    send,
    inDoubt: async (effects) => effects.map(() => ({ kind: 'done', result: { inDoubt: 'in flight at a crash; not sent again (at most once)' } })),
  };
}
