import type { ErrorCode, Field, FieldValue, InputKind } from '../../shared/index.js';
import type { NormalizedInput } from '../engine/normalize.js';

export type FieldValues = Partial<Record<Field, FieldValue>>;

/** What one request to a provider came to. Only `match` and `no_match` are answers: they are cached and billed. */
export type CallResult =
  | { kind: 'match'; values: FieldValues; status: number; pauseMs?: number }
  | { kind: 'no_match'; status: number; pauseMs?: number }
  | { kind: 'rate_limited'; status: number; retryAfterMs?: number }
  | { kind: 'transient'; status?: number; code: Extract<ErrorCode, 'provider_unavailable' | 'provider_timeout' | 'provider_bad_response'>; message: string }
  | { kind: 'permanent'; status: number; code: Extract<ErrorCode, 'provider_rejected'>; message: string };

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
  call(input: NormalizedInput, signal: AbortSignal): Promise<CallResult>;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;
