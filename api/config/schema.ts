import { z } from 'zod';
import { EnrichFieldSchema as FieldSchema, InputKindSchema } from '../../shared/index.js';
import { PipelineConfigSchema } from './pipeline.js';
import { expandPresetEntry } from '../providers/presets/expand.js';

/** Placeholders a request template may use; each is a normalised input value, URL-encoded in URLs. */
export const PLACEHOLDERS = ['email', 'domain', 'firstName', 'lastName', 'fullName', 'company', 'linkedinUrl'] as const;
const PLACEHOLDER = /\{\{\s*([a-zA-Z]+)\s*\}\}/g;

const templateString = z.string().superRefine((s, ctx) => {
  for (const m of s.matchAll(PLACEHOLDER)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
      ctx.addIssue({ code: 'custom', message: `unknown placeholder {{${m[1]}}}; use one of ${PLACEHOLDERS.join(', ')}` });
    }
  }
});

const providerId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, 'lowercase letters, digits, - and _');
const headerName = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,64}$/, 'an HTTP header name')
  .transform((h) => h.toLowerCase());
const jsonPointer = z.string().regex(/^(\/([^~/]|~[01])*)*$/, 'a JSON Pointer (RFC 6901) such as /data/name');
const statusList = z.array(z.number().int().min(100).max(599));

const JsonTemplate: z.ZodType<unknown> = z.lazy(() =>
  z.union([templateString, z.number(), z.boolean(), z.null(), z.array(JsonTemplate), z.record(z.string(), JsonTemplate)]),
);

export const HttpProviderConfigSchema = z
  .object({
    id: providerId,
    kind: z.literal('http'),
    label: z.string().max(80).optional(),
    /** Simulated providers: labelled as demo wherever they show up. */
    demo: z.boolean().default(false),
    input: z.union([InputKindSchema, z.array(InputKindSchema).min(1)]).transform((v) => (Array.isArray(v) ? v : [v])),
    fields: z.array(FieldSchema).min(1),
    request: z.object({
      method: z.enum(['GET', 'POST']).default('GET'),
      url: templateString.refine((u) => {
        try {
          return ['http:', 'https:'].includes(new URL(u.replace(PLACEHOLDER, 'x')).protocol);
        } catch {
          return false;
        }
      }, 'an http(s) URL'),
      headers: z.record(z.string(), templateString).default({}),
      body: JsonTemplate.optional(),
    }),
    response: z.object({
      map: z.partialRecord(FieldSchema, jsonPointer),
      /** A pointer that must hold a non-null value for a 200 to count as a match (Apollo answers 200 with person: null). */
      matchIf: jsonPointer.optional(),
    }),
    noMatchStatus: statusList.default([404]),
    rateLimitStatus: statusList.default([429]),
    /** "Still working, ask again" (Hunter's 202): polled without holding a concurrency slot. */
    pendingStatus: statusList.default([]),
    /** Wait between polls when the answer gives no Retry-After. */
    pollDelayMs: z.number().int().min(50).max(60_000).default(2000),
    /** Statuses that mean "try again later" besides 5xx and 408 (Hunter's 222: verification failed this time). */
    transientStatus: statusList.default([]),
    /** What a refusal means for this API, shown on the flagged row instead of a bare status (Hunter's 429: plan used up). */
    statusMessages: z.record(z.string().regex(/^[1-5]\d\d$/, 'an HTTP status'), z.string().max(200)).default({}),
    /**
     * Quota windows reported in headers (Apollo's x-minute-requests-left): when
     * one says nothing is left, the provider is paused until `reset` (seconds or
     * epoch seconds) or, without it, for the window.
     */
    rateLimitHeaders: z.array(z.object({ remaining: headerName, windowMs: z.number().int().positive(), reset: headerName.optional() })).default([]),
    costPerCall: z.number().nonnegative().default(0),
    costPerMatch: z.number().nonnegative().default(0),
    concurrency: z.number().int().min(1).max(1000).optional(),
    ratePerSecond: z.number().positive().max(100_000).optional(),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  })
  .superRefine((p, ctx) => {
    for (const key of Object.keys(p.response.map)) {
      if (!(p.fields as string[]).includes(key)) {
        ctx.addIssue({ code: 'custom', path: ['response', 'map', key], message: `maps a field the provider does not declare in fields` });
      }
    }
    if (p.request.method === 'GET' && p.request.body !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['request', 'body'], message: 'a GET request carries no body' });
    }
  });
export type HttpProviderConfig = z.infer<typeof HttpProviderConfigSchema>;

const limits = {
  label: z.string().max(80).optional(),
  ratePerSecond: z.number().positive().max(100_000).optional(),
  /** Requests to one target host (or DNS name) are at least this far apart: polite to a column full of one domain. */
  perHostIntervalMs: z.number().int().min(0).max(60_000).default(250),
};

const domainUrlTemplate = z.string().refine((u) => {
  if (!/^https?:\/\/\{\{domain\}\}[:/]/.test(u) || /\{\{(?!domain\}\})/.test(u)) return false;
  try {
    return Boolean(new URL(u.replaceAll('{{domain}}', 'example.com')));
  } catch {
    return false;
  }
}, 'an http(s) URL whose host is {{domain}}, like https://{{domain}}/');

/** Keyless: the company's own home page. */
export const WebsiteProviderConfigSchema = z.object({
  id: providerId,
  kind: z.literal('website'),
  ...limits,
  /** Tried in order until one answers: HTTPS first, then HTTP. */
  urls: z.array(domainUrlTemplate).min(1).max(4).default(['https://{{domain}}/', 'http://{{domain}}/']),
  maxRedirects: z.number().int().min(0).max(10).default(5),
  maxBytes: z.number().int().min(10_000).max(10_000_000).default(1_500_000),
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  concurrency: z.number().int().min(1).max(1000).default(16),
  userAgent: z.string().min(1).max(200).default('Mozilla/5.0 (compatible; CascadeBot/0.1; company enrichment, home page only)'),
});
export type WebsiteProviderConfig = z.infer<typeof WebsiteProviderConfigSchema>;

/** Keyless: MX and TXT records of the company's domain. */
export const DnsProviderConfigSchema = z.object({
  id: providerId,
  kind: z.literal('dns'),
  ...limits,
  timeoutMs: z.number().int().min(100).max(60_000).default(5000),
  concurrency: z.number().int().min(1).max(1000).default(32),
});
export type DnsProviderConfig = z.infer<typeof DnsProviderConfigSchema>;

/** Keyless: what can be said of an email address without sending mail to it. */
export const EmailCheckProviderConfigSchema = z.object({
  id: providerId,
  kind: z.literal('email-check'),
  ...limits,
  /** Local parts treated as role accounts besides the built-in list (info, sales, support…). */
  roleAccounts: z.array(z.string().regex(/^[a-z0-9._+-]{1,64}$/)).default([]),
  timeoutMs: z.number().int().min(100).max(60_000).default(5000),
  concurrency: z.number().int().min(1).max(1000).default(32),
});
export type EmailCheckProviderConfig = z.infer<typeof EmailCheckProviderConfigSchema>;

/** Predictive fill-in from any OpenAI-compatible chat-completions endpoint. */
export const LlmProviderConfigSchema = z.object({
  id: providerId,
  kind: z.literal('llm'),
  label: z.string().max(80).optional(),
  /** Up to the version segment: https://api.openai.com/v1, http://127.0.0.1:11434/v1 … */
  baseUrl: z.string().refine((u) => {
    try {
      return ['http:', 'https:'].includes(new URL(u).protocol);
    } catch {
      return false;
    }
  }, 'an http(s) URL'),
  model: z.string().min(1).max(200),
  /** From the environment only: "${env:OPENAI_API_KEY}". Local servers need none. */
  apiKey: z
    .string()
    .regex(/^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/, 'an environment reference like ${env:OPENAI_API_KEY}')
    .optional(),
  input: z.union([InputKindSchema, z.array(InputKindSchema).min(1)]).transform((v) => (Array.isArray(v) ? v : [v])),
  fields: z.array(FieldSchema).min(1).max(20),
  /** Part of the cache key: bump it to pay for fresh predictions. */
  promptVersion: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,32}$/)
    .default('v1'),
  instructions: z.string().max(4000).optional(),
  /** Predictions less sure than this are dropped. */
  minConfidence: z.number().min(0).max(1).default(0.5),
  costPerCall: z.number().nonnegative().default(0),
  maxTokens: z.number().int().min(16).max(8000).default(800),
  /** Ask for response_format json_object; turn off for servers that reject it. */
  jsonMode: z.boolean().default(true),
  concurrency: z.number().int().min(1).max(1000).optional(),
  ratePerSecond: z.number().positive().max(100_000).optional(),
  timeoutMs: z.number().int().min(100).max(300_000).default(30_000),
});
export type LlmProviderConfig = z.infer<typeof LlmProviderConfigSchema>;

export const ProviderConfigSchema = z.discriminatedUnion('kind', [
  HttpProviderConfigSchema,
  WebsiteProviderConfigSchema,
  DnsProviderConfigSchema,
  EmailCheckProviderConfigSchema,
  LlmProviderConfigSchema,
]);
export type ProviderConfig = z.infer<typeof ProviderConfigSchema>;

export const EngineConfigSchema = z
  .object({
    /** How long a claimed row stays ours without a heartbeat; after a crash, rows come back after this. */
    leaseMs: z.number().int().min(500).default(30_000),
    /** Rows held in memory at once across all jobs: enough to keep every provider busy, bounded for memory. */
    maxInflightRows: z.number().int().min(1).default(2000),
    /** Delays before retrying a provider that failed transiently; one more failure after the last flags the row. */
    retryDelaysMs: z.array(z.number().int().nonnegative()).default([1000, 4000, 16_000, 64_000]),
    /** How many times a call may be put back after a 429 before the row gives that provider up for now. */
    maxRateLimitWaits: z.number().int().min(0).default(20),
    /** Retry-After above this is treated as this: a provider asking for an hour would stall the job. */
    maxRetryAfterMs: z.number().int().min(0).default(120_000),
    /** Concurrency to start from when a provider documents none; AIMD finds the real figure. */
    initialConcurrency: z.number().int().min(1).default(4),
    maxConcurrency: z.number().int().min(1).default(256),
    /** Share of real-time lookups that may buy a second answer when the first provider is slow. */
    hedgeRatio: z.number().min(0).max(1).default(0.1),
    pollMs: z.number().int().min(5).default(250),
    /** Polls of one "still working" answer (Hunter's 202) before the row gives that provider up for now. */
    maxPolls: z.number().int().min(0).default(10),
  })
  .default({
    leaseMs: 30_000,
    maxInflightRows: 2000,
    retryDelaysMs: [1000, 4000, 16_000, 64_000],
    maxRateLimitWaits: 20,
    maxRetryAfterMs: 120_000,
    initialConcurrency: 4,
    maxConcurrency: 256,
    hedgeRatio: 0.1,
    pollMs: 250,
    maxPolls: 10,
  });
export type EngineConfig = z.infer<typeof EngineConfigSchema>;

const hostPort = z
  .string()
  .regex(/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\])(:\d{1,5})?$/, 'an IP address with an optional port, like 127.0.0.1:5353 or [::1]:53');

/** How providers that fetch addresses derived from sheet input reach the network. */
export const NetConfigSchema = z
  .object({
    /** DNS servers for the keyless providers and the address guard; the system resolver when absent. */
    dnsServers: z.array(hostPort).min(1).max(8).optional(),
    dnsTimeoutMs: z.number().int().min(100).max(30_000).default(3000),
    /**
     * UNSAFE, for local test servers only: loopback ports that fetches derived
     * from sheet input may reach. Empty by default; logged loudly when not.
     */
    allowLoopbackPorts: z.array(z.number().int().min(1).max(65_535)).max(64).default([]),
  })
  .default({ dnsTimeoutMs: 3000, allowLoopbackPorts: [] });
export type NetConfig = z.infer<typeof NetConfigSchema>;

export const ConfigSchema = z
  .object({
    /** Provider configurations, or presets: { "preset": "hunter-email-finder", "id": "hunter", "vars": { "apiKey": "${env:HUNTER_API_KEY}" } }. */
    providers: z.array(z.preprocess(expandPresetEntry, ProviderConfigSchema)).min(1),
    net: NetConfigSchema,
    /** A manual waterfall order (provider ids); without it the order is learned per workspace and segment. */
    order: z.array(z.string()).optional(),
    cache: z.object({ freshnessDays: z.number().positive().default(30) }).default({ freshnessDays: 30 }),
    engine: EngineConfigSchema,
    /** Lead pipelines by workspace id; "*" is every workspace without its own. */
    pipelines: z.record(z.string().min(1).max(100), PipelineConfigSchema).default({}),
  })
  .superRefine((c, ctx) => {
    const ids = new Set<string>();
    c.providers.forEach((p, i) => {
      if (ids.has(p.id)) ctx.addIssue({ code: 'custom', path: ['providers', i, 'id'], message: `duplicate provider id "${p.id}"` });
      ids.add(p.id);
    });
    c.order?.forEach((id, i) => {
      if (!ids.has(id)) ctx.addIssue({ code: 'custom', path: ['order', i], message: `no provider with id "${id}"` });
    });
    for (const [ws, p] of Object.entries(c.pipelines)) {
      const llm = p.qualify && c.providers.find((q) => q.id === p.qualify!.provider);
      if (p.qualify && llm?.kind !== 'llm') {
        ctx.addIssue({ code: 'custom', path: ['pipelines', ws, 'qualify', 'provider'], message: `no llm provider with id "${p.qualify.provider}"` });
      }
    }
  });
export type Config = z.infer<typeof ConfigSchema>;
