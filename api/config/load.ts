import { readFile } from 'node:fs/promises';
import { badResolvedUrls } from './pipeline.js';
import { ConfigSchema, type Config } from './schema.js';
import { formatPath } from '../../shared/index.js';

/** A configuration that cannot run. Its message names the path of the bad value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadedConfig {
  config: Config;
  /** Values read from ${env:...}: redacted wherever text leaves the process. */
  secrets: string[];
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what it is for.
const controlsEscaped = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

function resolveEnv(value: unknown, path: PropertyKey[], env: NodeJS.ProcessEnv, secrets: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_, name: string) => {
      const v = env[name];
      if (v === undefined || v === '') {
        throw new ConfigError(`${formatPath(path)}: environment variable ${name} is not set`);
      }
      secrets.push(v);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnv(v, [...path, i], env, secrets));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveEnv(v, [...path, k], env, secrets)]));
  }
  return value;
}

export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  // zod skips an own "__proto__" key (JSON.parse makes one) without a word: a pipeline under it would vanish unchecked.
  const given = (raw as { pipelines?: unknown } | null)?.pipelines;
  if (given && typeof given === 'object' && Object.hasOwn(given, '__proto__')) {
    throw new ConfigError('invalid configuration\n  pipelines.__proto__: not a workspace id');
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    // A key in the file may hold anything: shown escaped, it cannot start a line of the message that looks like another.
    const lines = parsed.error.issues.slice(0, 10).map((i) => controlsEscaped(`${formatPath(i.path) || '(root)'}: ${i.message}`));
    throw new ConfigError(`invalid configuration\n  ${lines.join('\n  ')}`);
  }
  const secrets: string[] = [];
  // Every kind may carry ${env:...} references (an http request's headers, an llm's apiKey).
  const providers = parsed.data.providers.map((p, i) => resolveEnv(p, ['providers', i], env, secrets) as typeof p);
  // Pipelines hold tokens, webhook URLs and signing keys the same way.
  const pipelines = resolveEnv(parsed.data.pipelines, ['pipelines'], env, secrets) as typeof parsed.data.pipelines;
  const bad = badResolvedUrls(pipelines);
  if (bad.length > 0) throw new ConfigError(`${bad[0]}: the environment variable it names does not hold an http(s) URL`);
  return { config: { ...parsed.data, providers, pipelines }, secrets };
}

export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read CASCADE_CONFIG file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(json, env);
}
