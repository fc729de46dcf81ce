import type { Provider } from '../../api/providers/types.js';

/** A provider for unit tests that never reach the network: looks up domains, supplies company.name, answers no match. */
export const testProvider = (id: string, extra: Partial<Provider> = {}): Provider => ({
  id,
  label: id,
  demo: false,
  inputs: ['domain'],
  fields: ['company.name'],
  costPerCall: 0.01,
  costPerMatch: 0,
  timeoutMs: 1000,
  call: async () => ({ kind: 'no_match', status: 404 }),
  ...extra,
});
