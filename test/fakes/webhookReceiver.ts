import { createHmac, timingSafeEqual } from 'node:crypto';
import { listen, parseJson, readBody, send } from './listen.js';

export interface WebhookReceiverOptions {
  /**
   * The shared secret. `whsec_<base64>` is a Standard Webhooks key: the part
   * after the prefix is base64-decoded and those bytes are the HMAC key, as
   * the Standard Webhooks libraries do. Any other string is used as is (its
   * UTF-8 bytes), as `createHmac('sha256', secret)` would.
   */
  secret: string;
}

/** A delivery the receiver accepted: signature good, timestamp fresh, body JSON. */
export interface WebhookDelivery {
  /** `webhook-id`: stable across retries of one message, the receiver's idempotency key. */
  id: string;
  /** `webhook-timestamp`, Unix seconds. */
  timestamp: number;
  body: unknown;
  at: number;
}

export interface WebhookReceiver {
  /** Deliver to this URL (any path under it). */
  url: string;
  deliveries: WebhookDelivery[];
  /** Answers given, by status. */
  statuses: Record<number, number>;
  /** Accepted deliveries whose `webhook-id` repeats one accepted before: a message delivered twice. */
  duplicates(): number;
  /** Answer every delivery with this status until `outage(null)`, to drive the sender's retries. */
  outage(status: number | null): void;
  close(): Promise<void>;
}

/** Standard Webhooks' usual tolerance: a timestamp further than this from now is refused, so a captured delivery cannot be replayed later. */
const TOLERANCE_S = 5 * 60;

const keyOf = (secret: string): Buffer => (secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8'));

/**
 * A receiver of signed webhooks on 127.0.0.1 that checks the Standard
 * Webhooks signature on its own, from the spec rather than the sender's code:
 * `webhook-signature` is a space-separated list of `v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">`, and any one matching is enough (senders list several
 * while rotating secrets). 204 for an accepted delivery, duplicates included,
 * since a 2xx is what stops the sender retrying.
 */
export async function startWebhookReceiver(opts: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const key = keyOf(opts.secret);
  const deliveries: WebhookDelivery[] = [];
  const statuses: Record<number, number> = {};
  let outageStatus: number | null = null;

  function signed(id: string, timestamp: string, raw: Buffer, header: string): boolean {
    const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(raw).digest();
    return header.split(' ').some((entry) => {
      const [version, signature] = entry.split(',', 2);
      if (version !== 'v1' || !signature) return false;
      const given = Buffer.from(signature, 'base64');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  }

  const { url, close } = await listen(async (req, res) => {
    const raw = await readBody(req);
    const reply = (status: number, text: string) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      send(res, status, text);
    };
    if (outageStatus !== null) return reply(outageStatus, 'outage');
    if (req.method !== 'POST') return reply(405, 'method not allowed');
    const id = req.headers['webhook-id'];
    const timestamp = req.headers['webhook-timestamp'];
    const signature = req.headers['webhook-signature'];
    if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string') {
      return reply(400, 'missing webhook-id, webhook-timestamp or webhook-signature');
    }
    const seconds = /^\d+$/.test(timestamp) ? Number(timestamp) : Number.NaN;
    // Written as "not within" so that NaN, a timestamp that is no number, is refused too.
    if (!(Math.abs(Date.now() / 1000 - seconds) <= TOLERANCE_S)) return reply(400, 'timestamp outside the tolerance window');
    if (!signed(id, timestamp, raw, signature)) return reply(401, 'bad signature');
    const body = parseJson(raw);
    if (body === undefined) return reply(400, 'body is not JSON');
    deliveries.push({ id, timestamp: seconds, body, at: Date.now() });
    reply(204, '');
  });

  return {
    url,
    deliveries,
    statuses,
    duplicates: () => deliveries.filter((d, n) => deliveries.findIndex((e) => e.id === d.id) < n).length,
    outage(status) {
      outageStatus = status;
    },
    close,
  };
}
