import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { LIMITS, ROUTES } from '../../shared/index.js';
import type { CascadeService } from '../engine/service.js';
import type { Log } from '../log.js';
import { errorAnswer, validationAnswer } from './errors.js';
import { type AuthOptions, bearerKey, knownWorkspace } from './middleware/auth/index.js';
import { readBody } from './middleware/body/index.js';
import type { RequestTags } from './middleware/requestId/index.js';

const { path: PATH, body: schema } = ROUTES.enrich;
/** JSON as both gates of the general path take it (zod-openapi's media type gate, Hono's json validator); any other type goes that way. */
const JSON_TYPE = /^application\/json(?:;\s*charset=utf-8)?$/i;

export interface EnrichFastPathDeps extends AuthOptions {
  service: CascadeService;
  log: Log;
  /** The request id middleware's own (requestTags): the same id rule, scope and line. */
  tags: RequestTags;
}

/**
 * `POST /v1/enrich` on Node without the general chain, for the requests
 * nearly every client sends: a JSON body of declared length within the cap,
 * one Authorization and one Content-Type header, at exactly that path. On a
 * cached lookup the engine answers from memory in a few µs, and the chain
 * (a Context, six middleware closures, a WHATWG Headers object built from
 * Node's headers and one for the answer, an async validator per layer) cost
 * several times that.
 *
 * It does what the chain does, in its order, with the chain's own parts:
 * the request id, its scope and its line (requestTags), the body cap and
 * Node's reader (readBody), the key check (bearerKey, knownWorkspace), the
 * route's zod schema (once, synchronously where it can) and the error
 * answers (errorAnswer, validationAnswer), so every answer, error or not,
 * is the one the chain gives (fastEnrich.test.ts holds them side by side).
 * It answers on Node's own response, as the floor server of the benchmark
 * does: going through the Hono adapter (a Request wrapper, three listeners
 * on the connection, a Response and its conversion back) cost a cached
 * lookup a third of its time.
 *
 * Any other request returns false before anything is read: the chain
 * answers it.
 */
export function enrichFastPath(deps: EnrichFastPathDeps): (incoming: IncomingMessage, outgoing: ServerResponse) => boolean {
  const { service, log, tags, findWorkspace } = deps;
  const idHeader = tags.header.toLowerCase();
  return (incoming, outgoing) => {
    if (incoming.method !== 'POST' || incoming.url !== PATH) return false;
    const headers = incoming.headers;
    const declared = headers['content-length'];
    // A chunked body, one over the cap (413), another media type (415) or a repeated header (joined by the chain, not by Node): the chain's.
    if (declared === undefined || headers['transfer-encoding'] !== undefined || parseInt(declared, 10) > LIMITS.bodyBytes) return false;
    if (!JSON_TYPE.test(headers['content-type'] ?? '') || repeatsKeyHeaders(incoming.rawHeaders)) return false;
    const started = performance.now();
    // Mutated, not rebuilt: the workspace joins the request's lines once the key is checked, as in the chain.
    const fields: { reqId: string; workspace?: string } = { reqId: tags.idFor(headers[idHeader] as string | undefined) };
    // answer() turns every failure of the request into an answer; one past that (writing it) costs the connection, never the process.
    tags
      .scope(fields, () => answer(incoming, outgoing, fields, started))
      .catch((err: unknown) => {
        log('enrich fast path: the answer could not be written', { err: err instanceof Error ? err.message : String(err) });
        outgoing.destroy();
      });
    return true;
  };

  /** Every failure of the request is an error answer; a connection gone by then takes the answer nowhere. */
  async function answer(incoming: IncomingMessage, outgoing: ServerResponse, fields: { reqId: string; workspace?: string }, started: number): Promise<void> {
    let status: ContentfulStatusCode = 200;
    let answerText: string;
    let retryAfter: string | undefined;
    try {
      // Read from the start, as the chain's body limit does, while the key is checked.
      const body = readBody(incoming);
      const workspace = knownWorkspace(await findWorkspace(bearerKey(incoming.headers.authorization)));
      fields.workspace = workspace;
      const text = await body;
      let value: unknown;
      try {
        if (text === undefined) throw new Error('the request body was cut off');
        value = JSON.parse(text);
      } catch {
        throw new HTTPException(400, { message: 'Malformed JSON in request body' });
      }
      const checked = validate(schema, value);
      const parsed = checked instanceof Promise ? await checked : checked;
      if (parsed.success) answerText = JSON.stringify(await service.enrich({ workspace, ...parsed.data }));
      else {
        const refused = validationAnswer({ ...parsed, target: 'json' })!;
        status = refused.status;
        answerText = JSON.stringify(refused.body);
      }
    } catch (err) {
      const refused = errorAnswer(log, err instanceof Error ? err : new Error(String(err)), PATH);
      status = refused.status;
      answerText = JSON.stringify(refused.body);
      retryAfter = refused.retryAfter;
    }
    tags.logAnswer('POST', PATH, status, started, fields);
    // With its length, head and body leave in one write.
    const out: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(answerText),
      [idHeader]: fields.reqId,
    };
    if (retryAfter) out['retry-after'] = retryAfter;
    outgoing.writeHead(status, out).end(answerText);
  }
}

/** A schema's verdict on a body: synchronously where it can; with an async refinement (none now), as the chain does (safeParseAsync). */
export function validate<S extends z.ZodType>(on: S, value: unknown): z.ZodSafeParseResult<z.output<S>> | Promise<z.ZodSafeParseResult<z.output<S>>> {
  try {
    return on.safeParse(value);
  } catch (err) {
    if (!(err instanceof z.core.$ZodAsyncError)) throw err;
    return on.safeParseAsync(value);
  }
}

/** Whether Authorization or Content-Type comes more than once: Node keeps the first, a Headers object (the chain's) joins them. */
function repeatsKeyHeaders(raw: string[]): boolean {
  let auth = 0;
  let type = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization') auth++;
    else if (name.length === 12 && name.toLowerCase() === 'content-type') type++;
  }
  return auth > 1 || type > 1;
}
