import { z } from 'zod';
import { EnrichFieldSchema, FieldSchema, LeadSourceSchema } from '../../shared/index.js';

/**
 * A workspace's lead pipeline (issue 18): what runs after a lead's
 * enrichment. Every step is optional; a workspace configuring none of them
 * runs jobs as plain enrichment.
 */

const httpUrl = z.string().refine((u) => {
  try {
    return ['http:', 'https:'].includes(new URL(u).protocol);
  } catch {
    return false;
  }
}, 'an http(s) URL');

/** A secret (a token, a webhook URL, a signing key) is read from the environment, never written in the file. */
const envRef = (example: string) => z.string().regex(/^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/, `an environment reference like \${env:${example}}`);

/** What a rule reads: an enriched field, or the lead's score. */
const PredicateField = z.union([FieldSchema, z.literal('score')]);

/** One test of one field; exactly one of the tests is given. */
export const PredicateSchema = z
  .object({
    field: PredicateField,
    /** A number in a range (either bound may be left out). */
    between: z.tuple([z.number().nullable(), z.number().nullable()]).optional(),
    /** A value in a list (text compared without case). */
    in: z
      .array(z.union([z.string(), z.number()]))
      .min(1)
      .max(500)
      .optional(),
    /** A list (a tech stack) holding a value, without case. */
    contains: z.string().min(1).max(200).optional(),
    /** The field has a value (true) or none (false). */
    present: z.boolean().optional(),
  })
  .strict()
  .refine((p) => [p.between, p.in, p.contains, p.present].filter((t) => t !== undefined).length === 1, {
    message: 'give exactly one of between, in, contains, present',
  });
export type Predicate = z.infer<typeof PredicateSchema>;

const ruleName = z.string().regex(/^[A-Za-z0-9 ._-]{1,64}$/, 'a short name: letters, digits, space . _ -');

export const ScoreRuleSchema = z.object({ name: ruleName, points: z.number().int().min(-100).max(100), if: PredicateSchema });
export type ScoreRule = z.infer<typeof ScoreRuleSchema>;

export const OwnerSchema = z.object({
  /** As written to the sheet and the CRM: a rep's name or a queue's. */
  name: z.string().min(1).max(100),
  email: z.email().optional(),
  /** A Slack member id (U…), mentioned in the notification. */
  slackId: z
    .string()
    .regex(/^[UW][A-Z0-9]{2,20}$/, 'a Slack member id like U012AB3CD')
    .optional(),
});
export type Owner = z.infer<typeof OwnerSchema>;

export const PrioritySchema = z.enum(['high', 'medium', 'low']);
export type Priority = z.infer<typeof PrioritySchema>;

export const RouteRuleSchema = z.object({
  name: ruleName,
  /** Every predicate must hold; none matches every lead. */
  if: z.array(PredicateSchema).max(20).default([]),
  /** Taken in turn (round-robin, durable across restarts); one owner is a queue. */
  owners: z.array(OwnerSchema).min(1).max(100),
  /** Overrides the priority the score gives. */
  priority: PrioritySchema.optional(),
});
export type RouteRule = z.infer<typeof RouteRuleSchema>;

export const HubSpotTargetSchema = z.object({
  token: envRef('HUBSPOT_TOKEN'),
  baseUrl: httpUrl.default('https://api.hubapi.com'),
  /** HubSpot contact property ← Cascade field. Custom properties (an ICP score, a reason) must exist in the portal first. */
  properties: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,99}$/, 'a HubSpot property name'), FieldSchema).default({
    firstname: 'person.firstName',
    lastname: 'person.lastName',
    jobtitle: 'person.title',
    company: 'company.name',
    website: 'company.domain',
  }),
  /** The portal's burst limit, shared by every app in it: 100 per 10 s on Free/Starter, 190 on Professional/Enterprise. */
  requestsPer10s: z.number().int().min(1).max(1000).default(100),
  /** Contacts per batch upsert: HubSpot takes at most 100. */
  batchSize: z.number().int().min(1).max(100).default(100),
  /**
   * A custom contact property that receives each write's id. With it, a batch
   * whose answer was lost (a crash while it was out) is read back and not sent
   * again: exactly once. Without it, the batch is sent again: upserts by email
   * are idempotent, so only the contact's history shows it.
   */
  traceProperty: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,99}$/)
    .optional(),
  timeoutMs: z.number().int().min(100).max(120_000).default(15_000),
});
export type HubSpotTarget = z.infer<typeof HubSpotTargetSchema>;

export const WebhookTargetSchema = z.object({
  /** From the environment only: a webhook URL can be a secret (a token in its path or query). */
  url: envRef('LEADS_WEBHOOK_URL'),
  /** Signs each message (Standard Webhooks: HMAC-SHA256); `whsec_<base64>` keys are decoded as that convention says. */
  secret: envRef('LEADS_WEBHOOK_SECRET'),
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
});
export type WebhookTargetConfig = z.infer<typeof WebhookTargetSchema>;

export const SlackTargetSchema = z.object({
  /** An incoming webhook URL: anyone holding it can post, so it comes from the environment. */
  webhookUrl: envRef('SLACK_WEBHOOK_URL'),
  /** Slack allows about one message per second per webhook; bursts beyond it are folded into digests. */
  perSecond: z.number().positive().max(10).default(1),
  /** Leads listed in one digest at most. */
  digestMax: z.number().int().min(2).max(40).default(20),
  timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
});
export type SlackTarget = z.infer<typeof SlackTargetSchema>;

export const PipelineConfigSchema = z
  .object({
    /** A lead seen in the workspace within this many days (same email, else domain and name) answers with the earlier run. */
    dedupDays: z.number().int().min(0).max(365).default(30),
    /** Enrichment fields every lead gets, besides those its job asks for (what the score, routing and qualifier read). */
    fields: z.array(EnrichFieldSchema).max(40).default([]),
    /** Sources whose leads go ahead of the others at every provider (a form is waiting; an import is not). */
    realtimeSources: z.array(LeadSourceSchema).max(20).default(['form']),
    score: z.object({ rules: z.array(ScoreRuleSchema).min(1).max(200) }).optional(),
    qualify: z
      .object({
        /** An `llm` provider of this config: its endpoint, model, key, limits and price. */
        provider: z.string().min(1).max(48),
        /** Leads scoring below this are not sent to the model (no money on hopeless leads). */
        minScore: z.number().min(0).max(100).default(0),
        /** Part of the cache key: bump it to pay for fresh judgements. */
        promptVersion: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,32}$/)
          .default('v1'),
        /** What the team means by qualified, told to the model. */
        instructions: z.string().max(4000).optional(),
      })
      .optional(),
    route: z
      .object({
        /** Tried in order; the first whose predicates all hold assigns the owner. */
        rules: z.array(RouteRuleSchema).min(1).max(100),
        /** The priority a score gives: the first band the score reaches; below every band, low. */
        priorities: z
          .array(z.object({ minScore: z.number().min(0).max(100), priority: PrioritySchema }))
          .max(3)
          .default([
            { minScore: 80, priority: 'high' },
            { minScore: 50, priority: 'medium' },
          ]),
      })
      .optional(),
    deliver: z.object({ hubspot: HubSpotTargetSchema.optional(), webhook: WebhookTargetSchema.optional() }).optional(),
    notify: z.object({ slack: SlackTargetSchema.optional(), webhook: WebhookTargetSchema.optional() }).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.qualify && !p.score && p.qualify.minScore > 0) {
      ctx.addIssue({ code: 'custom', path: ['qualify', 'minScore'], message: 'a score floor needs score rules' });
    }
  });
export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;

/**
 * Where a pipeline's URLs read from the environment are not http(s) URLs:
 * checked once the references are resolved, so a typo in a variable stops
 * startup, naming the path (never the value, a secret), instead of failing
 * every delivery.
 */
export function badResolvedUrls(pipelines: Record<string, PipelineConfig>): string[] {
  const isHttp = (u: string) => httpUrl.safeParse(u).success;
  return Object.entries(pipelines).flatMap(([ws, p]) =>
    [
      [`pipelines.${ws}.deliver.webhook.url`, p.deliver?.webhook?.url],
      [`pipelines.${ws}.notify.webhook.url`, p.notify?.webhook?.url],
      [`pipelines.${ws}.notify.slack.webhookUrl`, p.notify?.slack?.webhookUrl],
    ].flatMap(([path, url]) => (url !== undefined && !isHttp(url) ? [path!] : [])),
  );
}
