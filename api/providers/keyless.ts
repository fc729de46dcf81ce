import type { Field, InputKind } from '../../shared/index.js';
import type { Provider } from './types.js';

/** The free kinds (website, dns, email-check): nothing billed, limits from their config. */
export function keylessProvider(
  cfg: { id: string; concurrency: number; ratePerSecond?: number; timeoutMs: number },
  label: string,
  inputs: InputKind[],
  fields: Field[],
  call: Provider['call'],
): Provider {
  return {
    id: cfg.id,
    label,
    demo: false,
    inputs,
    fields,
    costPerCall: 0,
    costPerMatch: 0,
    concurrency: cfg.concurrency,
    ratePerSecond: cfg.ratePerSecond,
    timeoutMs: cfg.timeoutMs,
    call,
  };
}
