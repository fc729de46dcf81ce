import { request } from 'undici';
import { AlertEventSchema, type AlertEvent } from '../../shared/alerts.js';
import { sleep } from '../clock.js';

export type WebhookFormat = 'slack' | 'json';

/** Where alerts are sent. The URL is a secret (anyone holding a Slack webhook URL can post): it is never logged or stored. */
export interface WebhookTarget {
  url: string;
  format: WebhookFormat;
}

/** Slack's for a hooks.slack.com address, generic JSON otherwise, unless the environment says. */
export const webhookFormat = (url: string, format?: WebhookFormat): WebhookFormat => format ?? (new URL(url).hostname === 'hooks.slack.com' ? 'slack' : 'json');

export interface SendOptions {
  /** Attempts in all, for 429s and failures that may pass (5xx, network). */
  attempts?: number;
  /** Longest Retry-After obeyed; a longer one leaves the event for the next check. */
  maxRetryAfterMs?: number;
  wait?: (ms: number) => Promise<void>;
}

export type SendResult = { ok: true } | { ok: false; status: number | null; reason: string; permanent: boolean };

const arrow = (e: AlertEvent) => (e.event === 'alert.started' ? ':warning:' : ':white_check_mark:');

export function slackText(e: AlertEvent): string {
  return e.event === 'alert.started'
    ? `${arrow(e)} ${e.message}`
    : `${arrow(e)} Cleared (in force since ${e.since.slice(0, 16).replace('T', ' ')} UTC): ${e.message}`;
}

/**
 * Sends one alert event. Slack answers `200 ok`, or `429` with Retry-After
 * (seconds) past about one message a second: the wait is obeyed and the event
 * sent again. 5xx and network failures are tried again after 1 s, 2 s…; any
 * other 4xx (Slack's 404 no_service for a revoked webhook, 400 invalid_payload)
 * is permanent and reported with Slack's text, never the URL.
 */
export async function sendAlertEvent(target: WebhookTarget, event: AlertEvent, opts: SendOptions = {}): Promise<SendResult> {
  const { attempts = 5, maxRetryAfterMs = 60_000, wait = sleep } = opts;
  const payload = AlertEventSchema.parse(event);
  const body = JSON.stringify(target.format === 'slack' ? { text: slackText(payload) } : payload);
  let last: SendResult = { ok: false, status: null, reason: 'not sent', permanent: false };
  for (let attempt = 0; attempt < attempts; attempt++) {
    let delayMs = 1000 * 2 ** attempt;
    try {
      const res = await request(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        headersTimeout: 15_000,
        bodyTimeout: 15_000,
      });
      const text = (await res.body.text()).slice(0, 200);
      if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true };
      const permanent = res.statusCode < 500 && res.statusCode !== 429 && res.statusCode !== 408;
      last = { ok: false, status: res.statusCode, reason: text, permanent };
      if (permanent) return last;
      if (res.statusCode === 429) {
        const header = res.headers['retry-after'];
        const seconds = Number(Array.isArray(header) ? header[0] : header);
        delayMs = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 1000;
        if (delayMs > maxRetryAfterMs) return last;
      }
    } catch (err) {
      // The error's code only: undici's messages may carry the address, and the address is the secret.
      last = { ok: false, status: null, reason: (err as { code?: string }).code ?? (err instanceof Error ? err.name : 'error'), permanent: false };
    }
    if (attempt < attempts - 1) await wait(delayMs);
  }
  return last;
}
