import { createHmac } from 'node:crypto';
import type { WebhookTargetConfig } from '../config/pipeline.js';
import { waitFromHeaders } from '../providers/http/retryAfter.js';
import type { HttpClient } from '../providers/types.js';
import { outcomeOfStatus, type EffectOutcome, type EffectSender, type OutgoingEffect } from './types.js';

/** A `whsec_<base64>` key is its decoded bytes (the Standard Webhooks convention); any other secret is its UTF-8 text. */
const keyOf = (secret: string) => (secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8'));

/** The Standard Webhooks headers of one message: its id (the receiver's idempotency key), when, and the HMAC-SHA256 over both and the body. */
export function signedHeaders(secret: string, id: string, body: string, nowMs: number): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000).toString();
  const signature = createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

/**
 * A generic signed webhook: one JSON POST per effect. At least once: a
 * message in doubt is sent again with the same `webhook-id`, which the
 * receiver uses to drop the repeat.
 */
export function webhookSender(target: string, cfg: WebhookTargetConfig, deps: { http: HttpClient; now: () => number }): EffectSender {
  const sendOne = async (e: OutgoingEffect): Promise<EffectOutcome> => {
    const body = JSON.stringify({ id: e.id, ...(e.payload as object) });
    try {
      const res = await deps.http({
        method: 'POST',
        url: cfg.url,
        headers: signedHeaders(cfg.secret, e.id, body, deps.now()),
        body,
        signal: AbortSignal.timeout(cfg.timeoutMs),
        maxBytes: 64 * 1024,
      });
      const out = outcomeOfStatus(res.status, 'the webhook', res.body);
      return out.kind === 'retry' && out.rateLimited ? { ...out, afterMs: waitFromHeaders(res.headers, deps.now()) } : out;
    } catch (err) {
      // The URL may be a secret: say what kind of failure, not where.
      return { kind: 'retry', error: `the webhook could not be reached (${(err as Error).name})` };
    }
  };
  const send = (effects: OutgoingEffect[]) => Promise.all(effects.map(sendOne));
  return { target, batchSize: 20, timeoutMs: cfg.timeoutMs, send, inDoubt: send };
}
