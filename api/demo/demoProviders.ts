import type { Field } from '../../shared/index.js';
import type { SimProvider } from './simServer.js';

/**
 * The built-in demo set: simulated providers with the economics of real ones
 * (one strong in Europe, one cheap and patchy, a per-call people finder, a
 * verifier). They run on loopback and carry "demo" in every label.
 */
export function demoSimProviders(): SimProvider[] {
  return [
    {
      id: 'demo-firmo-eu',
      fields: ['company.name', 'company.industry', 'company.employees', 'company.country', 'company.linkedinUrl'],
      behaviour: { matchRate: { de: 0.9, fr: 0.85, nl: 0.85, uk: 0.8, '*': 0.35 }, latency: { medianMs: 60, sigma: 0.4 }, concurrency: 10, ratePerSecond: 80 },
    },
    {
      id: 'demo-firmo-global',
      fields: ['company.name', 'company.industry', 'company.employees', 'company.country', 'company.revenue', 'company.description'],
      // Demo behaviour: the company fallback refuses about one lead in six the first time it is asked about it, so
      // a demo job (npm start, the preview) ends with flagged rows and Retry flagged has work that then succeeds.
      behaviour: {
        matchRate: { '*': 0.7, de: 0.3, fr: 0.3 },
        latency: { medianMs: 90, sigma: 0.5 },
        concurrency: 8,
        ratePerSecond: 50,
        failFirstTime: { share: 0.16, status: 422 },
      },
    },
    {
      id: 'demo-people',
      fields: ['person.fullName', 'person.title', 'person.seniority', 'person.linkedinUrl'],
      behaviour: { matchRate: { '*': 0.6 }, latency: { medianMs: 120, sigma: 0.5 }, concurrency: 5, ratePerSecond: 20 },
    },
    {
      id: 'demo-verify',
      fields: ['person.emailStatus'],
      behaviour: { matchRate: { '*': 0.97 }, latency: { medianMs: 40, sigma: 0.3 }, concurrency: 10, ratePerSecond: 100 },
    },
  ];
}

/** The demo model (demoModel.ts), served beside the simulated providers; the pipeline's qualifier asks it. */
const DEMO_MODEL = (baseUrl: string) => ({
  id: 'demo-model',
  kind: 'llm' as const,
  label: 'Demo model',
  baseUrl: `${baseUrl}/demo-model`,
  model: 'demo',
  input: 'domain' as const,
  fields: ['company.description' as Field],
  costPerCall: 0.001,
  concurrency: 16,
  timeoutMs: 5000,
});

const ECONOMICS: Record<string, { label: string; input: 'domain' | 'email'; costPerCall?: number; costPerMatch?: number }> = {
  'demo-firmo-eu': { label: 'Demo Firmographics EU', input: 'domain', costPerMatch: 0.03 },
  'demo-firmo-global': { label: 'Demo Firmographics Global', input: 'domain', costPerCall: 0.008 },
  'demo-people': { label: 'Demo People Finder', input: 'email', costPerMatch: 0.05 },
  'demo-verify': { label: 'Demo Email Verifier', input: 'email', costPerCall: 0.002 },
};

/**
 * The demo workspace's lead pipeline: an ICP score over the demo providers'
 * firmographics, the demo model's verdict above a floor, and routing to three
 * reps in turn. No CRM or Slack: the demo reaches no network.
 */
const demoPipeline = {
  score: {
    rules: [
      { name: 'mid-market or larger', points: 40, if: { field: 'company.employees', between: [200, null] } },
      { name: 'software', points: 30, if: { field: 'company.industry', in: ['Software', 'Financial Services'] } },
      { name: 'known company', points: 20, if: { field: 'company.name', present: true } },
      { name: 'decision maker', points: 10, if: { field: 'person.seniority', in: ['vp', 'director', 'c_suite'] } },
    ],
  },
  qualify: { provider: 'demo-model', minScore: 40, instructions: 'Mid-market software and fintech companies, reached through a senior buyer.' },
  route: {
    rules: [
      {
        name: 'account executives',
        if: [{ field: 'score', between: [60, null] }],
        owners: [{ name: 'Ada (demo)' }, { name: 'Grace (demo)' }, { name: 'Linus (demo)' }],
      },
      { name: 'nurture', owners: [{ name: 'Nurture queue (demo)' }] },
    ],
  },
};

/** The embedded default configuration, pointed at the simulated providers' address. */
export function demoConfig(baseUrl: string, sims: SimProvider[] = demoSimProviders()) {
  return {
    pipelines: { default: demoPipeline },
    providers: [
      ...sims.map((s) => {
        const e = ECONOMICS[s.id]!;
        return {
          id: s.id,
          kind: 'http' as const,
          label: e.label,
          demo: true,
          input: e.input,
          fields: s.fields,
          request: { method: 'GET' as const, url: `${baseUrl}/${s.id}?q={{${e.input}}}` },
          response: { map: Object.fromEntries(s.fields.map((f: Field) => [f, `/data/${f}`])) },
          costPerCall: e.costPerCall ?? 0,
          costPerMatch: e.costPerMatch ?? 0,
          concurrency: s.behaviour.concurrency,
          ratePerSecond: s.behaviour.ratePerSecond,
          timeoutMs: 5000,
          // The message a flagged row shows for the first-time refusal above: said to be demo behaviour.
          ...(s.behaviour.failFirstTime ? { statusMessages: { [String(s.behaviour.failFirstTime.status)]: 'demo behaviour, refused on first ask' } } : {}),
        };
      }),
      DEMO_MODEL(baseUrl),
    ],
  };
}
