import { z } from 'zod';
import { formatPath } from '../shared/index.js';
import { ConfigError } from './config/load.js';

const positive = z.coerce.number().positive().finite().optional();
const text = z.string().min(1).optional();

/**
 * Every environment variable the API reads, parsed once at start (api/main.ts)
 * and passed down as values: nothing below reads process.env. An empty value
 * counts as unset, as a shell's `FOO= npm start` means.
 */
export const EnvSchema = z
  .object({
    CASCADE_CONFIG: text,
    PORT: z.coerce.number().int().min(0).max(65535).default(8787),
    HOST: z.string().min(1).default('127.0.0.1'),
    CASCADE_DB: z.string().min(1).default('file:./data/cascade.db'),
    CASCADE_DB_TOKEN: text,
    CASCADE_BOOTSTRAP_KEY: text,
    CASCADE_DEMO_JOB: z.enum(['0', '1']).default('1'),
    CASCADE_SHEETS_URL: z.url({ protocol: /^https?$/ }).optional(),
    GOOGLE_APPLICATION_CREDENTIALS: text,
    CASCADE_SHEETS_WRITES_PER_USER: positive,
    CASCADE_SHEETS_WRITES_PER_PROJECT: positive,
    CASCADE_SHEETS_READS_PER_USER: positive,
    CASCADE_SHEETS_READS_PER_PROJECT: positive,
    CASCADE_SHEETS_DASHBOARD_MS: positive,
    /** Bearer token for GET /metrics; unset, /metrics is a 404. At least 16 characters: it guards every workspace's figures. */
    CASCADE_METRICS_TOKEN: z.string().min(16).regex(/^\S+$/, 'no spaces: it is sent as a bearer token').optional(),
    /** A secret (anyone holding a Slack webhook URL can post): read here only, never logged or stored. */
    CASCADE_ALERT_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
    CASCADE_ALERT_WEBHOOK_FORMAT: z.enum(['slack', 'json']).optional(),
    CASCADE_ALERT_CHECK_MS: positive,
    /**
     * The key OAuth tokens are sealed with in the database (AES-256-GCM), so any instance of a cluster can write a job's
     * rows: 32 random bytes, base64 (`openssl rand -base64 32`). A secret: read here only, never logged or echoed.
     */
    CASCADE_TOKEN_KEY: z
      .string()
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64')
      .transform((s) => Buffer.from(s, 'base64'))
      .refine((key) => key.length === 32, '32 bytes (base64 of `openssl rand -base64 32`)')
      .optional(),
    /**
     * Where the other members of a cluster reach this instance, to wake it when jobs change (POST /internal/wake,
     * signed with a key derived from CASCADE_TOKEN_KEY), e.g. `http://10.0.0.5:8787`; `auto` is `http://HOST:PORT` as
     * bound. Unset: it is not woken, and finds work created through others at its next poll.
     */
    CASCADE_CLUSTER_URL: z
      .union([
        z.literal('auto'),
        z
          .url({ protocol: /^https?$/ })
          .refine((u) => !/[?#]/.test(u), 'no query or fragment: the wake path is appended to it')
          .transform((u) => u.replace(/\/+$/, '')),
      ])
      .optional(),
  })
  .superRefine((env, ctx) => {
    if (env.CASCADE_CLUSTER_URL && !env.CASCADE_TOKEN_KEY)
      ctx.addIssue({ code: 'custom', path: ['CASCADE_CLUSTER_URL'], message: 'needs CASCADE_TOKEN_KEY, which wakes are signed with' });
    if (env.CASCADE_CLUSTER_URL === 'auto' && /^(0\.0\.0\.0|::|\[::\])$/.test(env.HOST))
      ctx.addIssue({
        code: 'custom',
        path: ['CASCADE_CLUSTER_URL'],
        message: `auto needs HOST to be an address others can reach, not ${env.HOST}: give the URL`,
      });
  });
export type Env = z.infer<typeof EnvSchema>;

/** Variables whose value an error message must not quote. */
const SECRETS = new Set(['CASCADE_TOKEN_KEY']);

/** The environment's settings, or a ConfigError naming each variable that is wrong. */
export function parseEnv(env: NodeJS.ProcessEnv): Env {
  const known = Object.fromEntries(Object.keys(EnvSchema.shape).flatMap((k) => (env[k] ? [[k, env[k]]] : [])));
  const parsed = EnvSchema.safeParse(known);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map(
    (i) => `${formatPath(i.path)}: ${i.message} ${SECRETS.has(String(i.path[0])) ? '(value not shown)' : `(got "${String(env[String(i.path[0])])}")`}`,
  );
  throw new ConfigError(lines.join('\n'));
}
