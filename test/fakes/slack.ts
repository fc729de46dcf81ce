import { listen, parseJson, readBody, send } from './listen.js';

export interface FakeSlackOptions {
  /** Messages a webhook takes at once before it starts answering 429. */
  burst?: number;
  /** Messages per second a webhook's allowance refills by: Slack's "about one per second". */
  perSecond?: number;
}

/** A message a webhook accepted with `200 ok`. */
export interface SlackMessage {
  /** The webhook's path, `/services/T…/B…/…`: which channel it went to. */
  path: string;
  text?: string;
  blocks?: unknown[];
  at: number;
}

export interface FakeSlack {
  /** Webhook URLs are `${url}/services/<team>/<bot>/<secret>`; any three segments make one. */
  url: string;
  messages: SlackMessage[];
  /** Answers given, by status. */
  statuses: Record<number, number>;
  /** Revoke a webhook (path or full URL): from now on it answers `404 no_service`. */
  revoke(pathOrUrl: string): void;
  /** Answer every post with this status and Slack's text error for it until `outage(null)`. */
  outage(status: number | null): void;
  close(): Promise<void>;
}

const WEBHOOK = /^\/services\/[^/]+\/[^/]+\/[^/]+$/;

/** Slack's documented text errors, so an outage of 403, 404 or 410 reads like the real refusal. */
const ERROR_TEXT: Record<number, string> = {
  400: 'invalid_payload',
  403: 'action_prohibited',
  404: 'channel_not_found',
  410: 'channel_is_archived',
};

/**
 * Slack incoming webhooks on 127.0.0.1: `200 ok` as text for a message with
 * text or blocks, Slack's text errors otherwise, and a token bucket per
 * webhook (a short burst, then about one per second) answered with 429 and
 * Retry-After in seconds.
 */
export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const burst = opts.burst ?? 3;
  const perSecond = opts.perSecond ?? 1;
  const messages: SlackMessage[] = [];
  const statuses: Record<number, number> = {};
  const revoked = new Set<string>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  let outageStatus: number | null = null;

  /** Takes a token from the webhook's bucket; undefined when it had one, else the seconds until it will. */
  function take(path: string, now: number): number | undefined {
    const b = buckets.get(path) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    buckets.set(path, b);
    if (b.tokens >= 1) {
      b.tokens--;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / perSecond));
  }

  const { url, close } = await listen(async (req, res) => {
    const raw = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://slack.local').pathname;
    const reply = (status: number, text: string, headers: Record<string, string> = {}) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      send(res, status, text, headers);
    };
    if (outageStatus !== null) return reply(outageStatus, ERROR_TEXT[outageStatus] ?? 'internal_error');
    if (!WEBHOOK.test(path) || revoked.has(path)) return reply(404, 'no_service');
    // Every post spends the allowance, well formed or not.
    const wait = take(path, Date.now());
    if (wait !== undefined) return reply(429, 'rate_limited', { 'Retry-After': String(wait) });
    const body = parseJson(raw) as { text?: unknown; blocks?: unknown } | undefined;
    const text = typeof body?.text === 'string' && body.text ? body.text : undefined;
    const blocks = Array.isArray(body?.blocks) && body.blocks.length ? body.blocks : undefined;
    if (!text && !blocks) return reply(400, 'invalid_payload');
    messages.push({ path, text, blocks, at: Date.now() });
    reply(200, 'ok');
  });

  return {
    url,
    messages,
    statuses,
    revoke(pathOrUrl) {
      revoked.add(new URL(pathOrUrl, url).pathname);
    },
    outage(status) {
      outageStatus = status;
    },
    close,
  };
}
