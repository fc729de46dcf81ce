import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, parseJson, readBody, send, sleep } from './listen.js';

export interface FakeHubSpotOptions {
  /** The private app token every request must carry as `Authorization: Bearer <token>`. */
  token: string;
  /** The portal's burst limit: 100 per 10 s on Free/Starter, 190 on Professional/Enterprise. */
  requestsPer10s?: number;
  /** Properties that exist in the portal (`email` always does). Absent: every property exists. */
  knownProperties?: string[];
}

export interface HubSpotContact {
  /** HubSpot's record id, a numeric string. */
  id: string;
  /** Every property ever written, merged; `email` lowercased. Values are strings, as HubSpot stores them. */
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

/** One input of an upsert request HubSpot accepted. */
export interface HubSpotUpsert {
  email: string;
  properties: Record<string, string>;
  objectWriteTraceId?: string;
  at: number;
}

export interface FakeHubSpot {
  /** The `https://api.hubapi.com` stand-in: paths below it are HubSpot's own. */
  url: string;
  /** Every input of every accepted upsert, in arrival order. */
  upserts: HubSpotUpsert[];
  /** Answers given, by path then status: `requests['/crm/v3/objects/contacts/batch/upsert']?.[429]`. */
  requests: Record<string, Record<number, number>>;
  /**
   * Accepted upsert inputs whose (email, objectWriteTraceId) pair had been
   * accepted before: the same write sent twice, which a retry after a lost
   * answer does. Inputs without a trace id pair with `undefined`, so any
   * second write of their email counts.
   */
  duplicateUpserts(): number;
  /** The portal's contacts by lowercased email. */
  contacts(): ReadonlyMap<string, HubSpotContact>;
  /** Answer every request with this status (a 5xx, or a 401 for a revoked app) until `outage(null)`. */
  outage(status: number | null): void;
  /** Added before every answer, to model the round trip. Settable while running. */
  delayMs: number;
  close(): Promise<void>;
}

const UPSERT = '/crm/v3/objects/contacts/batch/upsert';
const READ = '/crm/v3/objects/contacts/batch/read';
const WINDOW_MS = 10_000;
const MAX_BATCH = 100;

/** HubSpot's error body; `correlationId` is what its support asks for. */
function hubspotError(category: string, message: string) {
  return { status: 'error', message, correlationId: randomUUID(), category };
}

const validation = (message: string) => hubspotError('VALIDATION_ERROR', message);

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

/** A batch body's `inputs`, or HubSpot's 400 when they are missing or more than a batch may hold. */
function batchInputs(body: any): any[] | Answer {
  if (!Array.isArray(body?.inputs)) return { status: 400, body: validation('Invalid input JSON: "inputs" is required.') };
  if (body.inputs.length > MAX_BATCH) {
    return { status: 400, body: validation(`Batch input of ${body.inputs.length} objects exceeds the maximum of ${MAX_BATCH}.`) };
  }
  return body.inputs;
}

/**
 * HubSpot's CRM contacts API for one portal on 127.0.0.1: batch upsert and
 * batch read by email, a bearer token, the 100-inputs-per-batch cap, unknown
 * properties refused with a 400 naming them, and the portal's rolling
 * 10-second limit answered with HubSpot's 429 (which carries no Retry-After,
 * only X-HubSpot-RateLimit-* headers).
 */
export async function startFakeHubSpot(opts: FakeHubSpotOptions): Promise<FakeHubSpot> {
  const max = opts.requestsPer10s ?? 100;
  const known = opts.knownProperties ? new Set(['email', ...opts.knownProperties]) : undefined;
  const contacts = new Map<string, HubSpotContact>();
  const upserts: HubSpotUpsert[] = [];
  const requests: FakeHubSpot['requests'] = {};
  /** Arrival times of the requests let through in the last 10 s; refused ones do not count against the portal. */
  let admitted: number[] = [];
  let outageStatus: number | null = null;
  let nextId = 1001;

  function upsert(body: any, now: number): Answer {
    const inputs = batchInputs(body);
    if (!Array.isArray(inputs)) return inputs;
    if (inputs.some((i) => i?.idProperty !== 'email' || typeof i.id !== 'string' || !i.id)) {
      return { status: 400, body: validation('Each input needs "idProperty": "email" and the email as "id".') };
    }
    const emails = inputs.map((i) => (i.id as string).toLowerCase());
    const repeated = emails.filter((e, n) => emails.indexOf(e) !== n);
    if (repeated.length) return { status: 400, body: validation(`Duplicate IDs found in batch input: [${repeated.join(', ')}]. IDs must be unique`) };
    const unknown = [...new Set(inputs.flatMap((i) => Object.keys(i.properties ?? {})))].filter((p) => known && !known.has(p));
    if (unknown.length) {
      // HubSpot nests each sentence in escaped JSON inside the message (`Property \"x\" ...`); here they are plain, so a client reading the name must allow both.
      return { status: 400, body: validation(`Property values were not valid: ${unknown.map((p) => `Property "${p}" does not exist`).join('; ')}`) };
    }
    const stamp = new Date(now).toISOString();
    const results = inputs.map((input, n) => {
      const email = emails[n]!;
      const properties = Object.fromEntries(Object.entries(input.properties ?? {}).map(([k, v]) => [k, String(v ?? '')]));
      upserts.push({ email, properties, objectWriteTraceId: input.objectWriteTraceId, at: now });
      const existing = contacts.get(email);
      const contact: HubSpotContact = existing ?? { id: String(nextId++), properties: {}, createdAt: stamp, updatedAt: stamp };
      Object.assign(contact.properties, properties, { email });
      contact.updatedAt = stamp;
      contacts.set(email, contact);
      return { id: contact.id, new: !existing, properties: { ...contact.properties }, createdAt: contact.createdAt, updatedAt: contact.updatedAt };
    });
    return { status: 200, body: { status: 'COMPLETE', results, startedAt: stamp, completedAt: new Date().toISOString() } };
  }

  function read(body: any, now: number): Answer {
    const inputs = batchInputs(body);
    if (!Array.isArray(inputs)) return inputs;
    if (body.idProperty !== 'email') return { status: 400, body: validation('This stand-in reads contacts by "idProperty": "email" only.') };
    const wanted: string[] = Array.isArray(body.properties) ? body.properties : [];
    const results = [];
    const missing: string[] = [];
    for (const input of inputs) {
      const c = contacts.get(String(input?.id ?? '').toLowerCase());
      if (!c) {
        missing.push(String(input?.id));
        continue;
      }
      const properties = { email: c.properties.email, ...Object.fromEntries(wanted.map((p) => [p, c.properties[p] ?? null])) };
      results.push({ id: c.id, properties, createdAt: c.createdAt, updatedAt: c.updatedAt, archived: false });
    }
    const times = { startedAt: new Date(now).toISOString(), completedAt: new Date().toISOString() };
    if (!missing.length) return { status: 200, body: { status: 'COMPLETE', results, ...times } };
    // A batch read with unknown ids is a partial success, not a failure: 207, the found ones in results.
    const errors = [
      {
        status: 'error',
        category: 'OBJECT_NOT_FOUND',
        message: 'Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.',
        context: { ids: missing },
      },
    ];
    return { status: 207, body: { status: 'COMPLETE', results, numErrors: errors.length, errors, ...times } };
  }

  function answer(req: IncomingMessage, path: string, raw: Buffer, now: number): Answer {
    if (outageStatus !== null) return { status: outageStatus, body: hubspotError('INTERNAL_ERROR', 'internal error') };
    if (req.method !== 'POST' || (path !== UPSERT && path !== READ)) {
      return { status: 404, body: hubspotError('NOT_FOUND', `No route for ${req.method} ${path}`) };
    }
    if (req.headers.authorization !== `Bearer ${opts.token}`) {
      return {
        status: 401,
        body: hubspotError('INVALID_AUTHENTICATION', 'Authentication credentials not found. This API supports OAuth 2.0 authentication.'),
      };
    }
    admitted = admitted.filter((t) => t > now - WINDOW_MS);
    const limited = admitted.length >= max;
    if (!limited) admitted.push(now);
    const headers = {
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(WINDOW_MS),
      'X-HubSpot-RateLimit-Max': String(max),
      'X-HubSpot-RateLimit-Remaining': String(max - admitted.length),
    };
    if (limited) {
      return {
        status: 429,
        headers,
        body: {
          status: 'error',
          message: 'You have reached your ten_secondly_rolling limit.',
          errorType: 'RATE_LIMIT',
          correlationId: randomUUID(),
          policyName: 'TEN_SECONDLY_ROLLING',
        },
      };
    }
    const body = parseJson(raw);
    if (body === undefined) return { status: 400, headers, body: validation('Invalid input JSON on line 1: the body is not JSON.') };
    return { ...(path === UPSERT ? upsert(body, now) : read(body, now)), headers };
  }

  const fake = {
    upserts,
    requests,
    delayMs: 0,
  };

  const { url, close } = await listen(async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    if (fake.delayMs) await sleep(fake.delayMs);
    const path = new URL(req.url ?? '/', 'http://hubspot.local').pathname;
    const a = answer(req, path, raw, Date.now());
    const byStatus = (requests[path] ??= {});
    byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
    send(res, a.status, a.body, a.headers);
  });

  return Object.assign(fake, {
    url,
    close,
    duplicateUpserts() {
      const seen = new Set<string>();
      let repeats = 0;
      for (const u of upserts) {
        const key = JSON.stringify([u.email, u.objectWriteTraceId]);
        if (seen.has(key)) repeats++;
        seen.add(key);
      }
      return repeats;
    },
    contacts: () => contacts,
    outage(status: number | null) {
      outageStatus = status;
    },
  });
}
