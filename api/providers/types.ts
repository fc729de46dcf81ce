import type { RowFlagCode, Field, FieldValue, InputKind } from '../../shared/index.js';
import type { NormalizedInput } from '../engine/normalize.js';

export type FieldValues = Partial<Record<Field, FieldValue>>;

/**
 * What one request to a provider came to. Only `match` and `no_match` are
 * answers: they are cached and billed. `pending` is "still working, ask again
 * in retryAfterMs" (Hunter's 202): the caller waits without holding a slot.
 * A match's `confidence` marks its values as predicted, not found.
 */
export type CallResult =
  | { kind: 'match'; values: FieldValues; status: number; pauseMs?: number; confidence?: Partial<Record<Field, number>> }
  | { kind: 'no_match'; status: number; pauseMs?: number }
  | { kind: 'pending'; status: number; retryAfterMs: number }
  | { kind: 'rate_limited'; status: number; retryAfterMs?: number }
  | { kind: 'transient'; status?: number; code: Extract<RowFlagCode, 'provider_unavailable' | 'provider_timeout' | 'provider_bad_response'>; message: string }
  | { kind: 'permanent'; status?: number; code: Extract<RowFlagCode, 'provider_rejected' | 'provider_bad_response' | 'blocked_address'>; message: string };

export interface Provider {
  id: string;
  label: string;
  demo: boolean;
  /** Input kinds the provider needs, all of them; also what its cache key is made of. */
  inputs: InputKind[];
  fields: Field[];
  costPerCall: number;
  costPerMatch: number;
  /** Documented limits; absent ones are discovered by the engine's flow control. */
  concurrency?: number;
  ratePerSecond?: number;
  timeoutMs: number;
  /** Its values are predictions: asked last, only when the job wants them, never counted as matches. */
  predictive?: boolean;
  /** Joined to the cache key, so a new prompt buys fresh answers instead of reusing old ones. */
  cacheVersion?: string;
  /**
   * Why this provider cannot be asked about an input that has every kind it
   * reads (its request could never be formed from it); undefined when it can.
   * Such a row skips the provider, and is flagged invalid_input if no other
   * provider can read it: asking would fail the same way on every retry.
   */
  unusableInput?(input: NormalizedInput): string | undefined;
  /** `signal` cancels the call; the engine sends none, since a request that was sent is paid for either way. */
  call(input: NormalizedInput, signal?: AbortSignal): Promise<CallResult>;
}

/** One request a provider sends. */
export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** Bytes of answer read at most: a provider must not be able to exhaust our memory. */
  maxBytes: number;
}

/** The answer, read in full. `body` is undefined when it was longer than maxBytes. */
export interface HttpReply {
  status: number;
  headers: HeaderGetter;
  body: string | undefined;
}

/** What is read of response headers: the Fetch API's Headers has this shape. */
export interface HeaderGetter {
  get(name: string): string | null;
}

/**
 * The providers' way out to the network. Rejects when no answer came (a
 * network error, the signal); AnswerBrokenError when one started and broke off.
 */
export type HttpClient = (req: HttpRequest) => Promise<HttpReply>;
