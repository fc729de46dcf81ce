import { z } from 'zod';
import { FieldSchema, InputKindSchema } from '../../shared/index.js';

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

const jsonPointer = z.string().regex(/^(\/([^~/]|~[01])*)*$/, 'a JSON Pointer (RFC 6901) such as /data/name');
const statusList = z.array(z.number().int().min(100).max(599));

const JsonTemplate: z.ZodType<unknown> = z.lazy(() =>
  z.union([templateString, z.number(), z.boolean(), z.null(), z.array(JsonTemplate), z.record(z.string(), JsonTemplate)]),
);

export const HttpProviderConfigSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, 'lowercase letters, digits, - and _'),
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

export const ProviderConfigSchema = z.discriminatedUnion('kind', [HttpProviderConfigSchema]);
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
  });
export type EngineConfig = z.infer<typeof EngineConfigSchema>;

export const ConfigSchema = z
  .object({
    providers: z.array(ProviderConfigSchema).min(1),
    /** A manual waterfall order (provider ids); without it the order is learned per workspace and segment. */
    order: z.array(z.string()).optional(),
    cache: z.object({ freshnessDays: z.number().positive().default(30) }).default({ freshnessDays: 30 }),
    engine: EngineConfigSchema,
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
  });
export type Config = z.infer<typeof ConfigSchema>;
