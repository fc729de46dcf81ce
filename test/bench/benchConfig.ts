import type { SimBehaviour, SimProvider } from '../../api/demo/simServer.js';
import type { Field } from '../../shared/index.js';

export const FIELDS: Field[] = ['company.name'];

/** A simulated provider together with what the engine is told about it: its price and its documented limits. */
export interface BenchProvider {
  id: string;
  behaviour: SimBehaviour & { concurrency: number; ratePerSecond: number };
  costPerCall: number;
  costPerMatch: number;
  /** What it supplies; FIELDS if absent. */
  fields?: Field[];
}

/** The configuration file a user would write for these providers, with their documented limits. */
export function rawConfig(simUrl: string, providers: BenchProvider[]) {
  return {
    providers: providers.map((p) => ({
      id: p.id,
      kind: 'http',
      input: 'domain',
      fields: p.fields ?? FIELDS,
      request: { method: 'GET', url: `${simUrl}/${p.id}?q={{domain}}` },
      response: { map: Object.fromEntries((p.fields ?? FIELDS).map((f) => [f, `/data/${f}`])) },
      costPerCall: p.costPerCall,
      costPerMatch: p.costPerMatch,
      concurrency: p.behaviour.concurrency,
      ratePerSecond: p.behaviour.ratePerSecond,
      timeoutMs: 5000,
    })),
  };
}

export const simProviders = (providers: BenchProvider[]): SimProvider[] =>
  providers.map((p) => ({ id: p.id, fields: p.fields ?? FIELDS, behaviour: p.behaviour }));
