import { z } from 'zod';
import { PRESETS, type Preset } from './catalogue.js';

const VAR_REF = /\$\{var:([A-Za-z][A-Za-z0-9]*)\}/g;
const ENV_ONLY = /^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/;

/** What a user writes to use a preset: its name, an id, the vars it needs, and the figures they may override. */
export const PresetEntrySchema = z
  .object({
    preset: z.string(),
    id: z.string(),
    vars: z.record(z.string(), z.string()).default({}),
    label: z.string().optional(),
    costPerCall: z.number().optional(),
    costPerMatch: z.number().optional(),
    concurrency: z.number().optional(),
    ratePerSecond: z.number().optional(),
    timeoutMs: z.number().optional(),
  })
  .strict();

function substitute(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') return value.replace(VAR_REF, (_, name: string) => vars[name] ?? '');
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  return value;
}

/**
 * Turns a preset entry into the `http` provider configuration it stands for;
 * anything else passes through untouched. Runs before the provider schema,
 * so the expanded config is validated like one written by hand.
 */
export function expandPresetEntry(raw: unknown, ctx: z.RefinementCtx): unknown {
  if (!raw || typeof raw !== 'object' || !('preset' in raw)) return raw;
  const parsed = PresetEntrySchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    return z.NEVER;
  }
  const { preset: name, vars, ...overrides } = parsed.data;
  const preset: Preset | undefined = PRESETS[name];
  if (!preset) {
    ctx.addIssue({ code: 'custom', path: ['preset'], message: `no preset "${name}"; presets: ${Object.keys(PRESETS).join(', ')}` });
    return z.NEVER;
  }
  const values: Record<string, string> = {};
  let ok = true;
  for (const [k, spec] of Object.entries(preset.vars)) {
    const v = vars[k] ?? spec.default;
    if (v === undefined) {
      ctx.addIssue({ code: 'custom', path: ['vars', k], message: `the ${name} preset needs vars.${k}: ${spec.description}` });
      ok = false;
    } else if (spec.secret && !ENV_ONLY.test(v)) {
      ctx.addIssue({ code: 'custom', path: ['vars', k], message: `a key comes from the environment only: write "\${env:NAME}" and set NAME` });
      ok = false;
    } else values[k] = v;
  }
  for (const k of Object.keys(vars)) {
    if (!(k in preset.vars)) {
      ctx.addIssue({ code: 'custom', path: ['vars', k], message: `the ${name} preset has no var "${k}"; it takes ${Object.keys(preset.vars).join(', ')}` });
      ok = false;
    }
  }
  if (!ok) return z.NEVER;
  return { ...(substitute(preset.provider, values) as object), label: preset.label, ...overrides };
}
