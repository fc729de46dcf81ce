import { z } from 'zod';
import { ApiErrorBodySchema, REQUEST_ERRORS } from '../../shared/index.js';

type JsonSchema = Record<string, unknown>;
interface Operation {
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** The document's `#/components/schemas/X` references as `#/$defs/X`, which zod's JSON Schema reader resolves within one schema. */
const toDefs = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(toDefs)
    : v && typeof v === 'object'
      ? Object.fromEntries(
          Object.entries(v).map(([k, x]) => [k, k === '$ref' && typeof x === 'string' ? x.replace('#/components/schemas/', '#/$defs/') : toDefs(x)]),
        )
      : v;

const compiled = new WeakMap<OpenApiDocument, Map<string, z.ZodType>>();

function schemaOf(doc: OpenApiDocument, key: string, schema: JsonSchema): z.ZodType {
  let cache = compiled.get(doc);
  if (!cache) compiled.set(doc, (cache = new Map()));
  let s = cache.get(key);
  if (!s) cache.set(key, (s = z.fromJSONSchema({ ...(toDefs(schema) as JsonSchema), $defs: toDefs(doc.components?.schemas ?? {}) } as never)));
  return s;
}

/** The documented operation a request reached, by its method and its path against the document's templates (`{id}` is one segment). */
function operationOf(doc: OpenApiDocument, method: string, url: string): { template: string; op: Operation } | undefined {
  const path = url.split('?')[0]!;
  for (const [template, ops] of Object.entries(doc.paths)) {
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/}]+\}/g, '[^/]+')}$`);
    const op = ops[method.toLowerCase()];
    if (op && pattern.test(path)) return { template, op };
  }
  return undefined;
}

/**
 * What is wrong with an answer by the OpenAPI document, or undefined when
 * nothing is: its status must be one the document lists for the operation the
 * request reached, and its body must match that status's schema. An answer to
 * a request no operation takes (an unknown path or method, or `/openapi.json`
 * itself, which the document does not describe) must be a request error whose
 * code has that status.
 */
export function responseProblem(doc: OpenApiDocument, method: string, url: string, status: number, body: unknown): string | undefined {
  const where = `${method.toUpperCase()} ${url.length > 120 ? `${url.slice(0, 120)}…` : url} → ${status}`;
  const found = operationOf(doc, method, url);
  if (!found) {
    if (method.toUpperCase() === 'GET' && url.split('?')[0] === '/openapi.json' && status === 200) return undefined;
    const err = ApiErrorBodySchema.safeParse(body);
    if (!err.success) return `${where}: no documented operation, and the body is not a request error: ${JSON.stringify(body)?.slice(0, 200)}`;
    if (REQUEST_ERRORS[err.data.error.code].status !== status)
      return `${where}: ${err.data.error.code} answers ${REQUEST_ERRORS[err.data.error.code].status}, not ${status}`;
    return undefined;
  }
  const response = found.op.responses[String(status)];
  const label = `${method.toLowerCase()} ${found.template}`;
  if (!response)
    return `${where}: ${label} does not document ${status} (it documents ${Object.keys(found.op.responses).join(', ')}); body ${JSON.stringify(body)?.slice(0, 200)}`;
  const schema = response.content?.['application/json']?.schema;
  if (!schema) return body === undefined ? undefined : `${where}: ${label} documents no body for ${status}`;
  const parsed = schemaOf(doc, `${label} ${status}`, schema).safeParse(body);
  if (!parsed.success)
    return `${where}: the body is not ${label}'s documented ${status}: ${parsed.error.message.slice(0, 600)}; body ${JSON.stringify(body)?.slice(0, 200)}`;
  return undefined;
}

let served: Promise<OpenApiDocument> | undefined;

/**
 * Throws when an answer is not as the server's OpenAPI document says. The
 * document is fetched once per test process: every server the suite starts
 * is built from the same code, so they serve the same document.
 */
export async function expectDocumented(baseUrl: string, method: string, url: string, status: number, body: unknown): Promise<void> {
  served ??= fetch(`${baseUrl}/openapi.json`)
    .then((r) => r.json() as Promise<OpenApiDocument>)
    .catch((err: unknown) => {
      served = undefined;
      throw err;
    });
  const problem = responseProblem(await served, method, url, status, body);
  if (problem) throw new Error(`an answer the OpenAPI document does not describe: ${problem}`);
}
