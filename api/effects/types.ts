/**
 * The external effects of the lead pipeline (a CRM write, a message): each
 * target's sender. The outbox (engine/pipeline/outbox.ts) owns the queue,
 * leases, pacing and retries; a sender only turns a batch of effects into
 * requests and their answers into outcomes, one per effect, in order.
 */

export interface OutgoingEffect {
  /** The receiver's idempotency key: stable per lead, step and target. */
  id: string;
  payload: unknown;
}

export type EffectOutcome =
  | { kind: 'done'; result?: unknown }
  /** Worth another try: a 5xx, a timeout, a 429 (`rateLimited`, with how long the target asked us to wait). */
  | { kind: 'retry'; error: string; rateLimited?: boolean; afterMs?: number }
  | { kind: 'failed'; error: string };

export interface EffectSender {
  target: string;
  /** Effects per request: 100 for HubSpot's batch upsert, a digest's length for Slack, 1 for a webhook. */
  batchSize: number;
  /** Requests per second the target allows; undefined when it documents none. */
  ratePerSecond?: number;
  /**
   * The share of ratePerSecond kept for effects someone waits on (a form's
   * lead, priority above 0): bulk effects are paced to the rest, so an
   * import's backlog never makes a form's lead wait for a slot. Urgent
   * effects use either share. 0 when undefined.
   */
  urgentShare?: number;
  /** The longest a send may take: the outbox's lease outlives it. */
  timeoutMs: number;
  /** `pace` resolves when the target's limit allows one more request: for a sender that must send more than one (a batch split). */
  send(effects: OutgoingEffect[], pace: () => Promise<void>): Promise<EffectOutcome[]>;
  /**
   * Effects a crashed worker left mid-request: sent or not, nobody knows.
   * Each sender settles them its own way: read back (HubSpot, with a trace
   * property), sent again for the receiver to dedupe (a webhook), or never
   * sent again (Slack: at most once).
   */
  inDoubt(effects: OutgoingEffect[], pace: () => Promise<void>): Promise<EffectOutcome[]>;
}

/** Network errors that mean the request never reached the target: safe to send again even where a repeat would show. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
export const neverSent = (err: unknown): boolean => NOT_SENT.has((err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code ?? '');

/** The request's outcome from its HTTP status, as every target documents it: 2xx done, 408/429/5xx again, other 4xx for good. */
export function outcomeOfStatus(status: number, what: string, body: string | undefined): EffectOutcome {
  if (status >= 200 && status < 300) return { kind: 'done' };
  const said = body ? `: ${body.slice(0, 200)}` : '';
  if (status === 408 || status === 429 || status >= 500) return { kind: 'retry', error: `${what} answered HTTP ${status}${said}`, rateLimited: status === 429 };
  return { kind: 'failed', error: `${what} refused it (HTTP ${status})${said}` };
}
