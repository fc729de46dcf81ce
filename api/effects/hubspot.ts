import { z } from 'zod';
import type { HubSpotTarget } from '../config/pipeline.js';
import type { HttpClient, HttpReply } from '../providers/types.js';
import { outcomeOfStatus, type EffectOutcome, type EffectSender, type OutgoingEffect } from './types.js';

/** A contact as the deliver step hands it over: keyed by email, properties already mapped and written as text. */
export interface ContactWrite {
  email: string;
  properties: Record<string, string>;
}

const Results = z.object({
  results: z.array(z.object({ id: z.string(), properties: z.record(z.string(), z.string().nullable()).default({}) })).default([]),
  errors: z.array(z.object({ message: z.string(), context: z.record(z.string(), z.array(z.string())).optional() })).default([]),
});

/** HubSpot's 429 names its policy: the 10-second window passes soon, the daily one does not. */
const waitOf = (body: string | undefined) => (body?.includes('DAILY') ? 3_600_000 : 10_000);

/**
 * HubSpot CRM contacts by batch upsert keyed by email (at most 100 per
 * request, within the portal's per-10-second limit, which the outbox paces).
 * Exactly once with `traceProperty`: a batch in doubt is read back and only
 * the contacts not carrying their write's id are sent again. Without it, at
 * least once: a batch in doubt is upserted again, which changes nothing but
 * the contact's history.
 */
export function hubspotSender(target: string, cfg: HubSpotTarget, deps: { http: HttpClient }): EffectSender {
  const base = `${cfg.baseUrl.replace(/\/+$/, '')}/crm/v3/objects/contacts/batch`;
  const post = (path: 'upsert' | 'read', body: unknown): Promise<HttpReply> =>
    deps.http({
      method: 'POST',
      url: `${base}/${path}`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${cfg.token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(cfg.timeoutMs),
      maxBytes: 4 * 1024 * 1024,
    });
  const contact = (e: OutgoingEffect) => e.payload as ContactWrite;

  async function send(effects: OutgoingEffect[], pace: () => Promise<void>): Promise<EffectOutcome[]> {
    const inputs = effects.map((e) => ({
      id: contact(e).email,
      idProperty: 'email',
      objectWriteTraceId: e.id,
      properties: { ...contact(e).properties, ...(cfg.traceProperty ? { [cfg.traceProperty]: e.id } : {}) },
    }));
    let res: HttpReply;
    try {
      res = await post('upsert', { inputs });
    } catch (err) {
      return effects.map(() => ({ kind: 'retry', error: `HubSpot could not be reached (${(err as Error).name})` }));
    }
    const out = outcomeOfStatus(res.status, 'HubSpot', res.body);
    if (out.kind === 'retry') return effects.map(() => (out.rateLimited ? { ...out, afterMs: waitOf(res.body) } : out));
    // One bad record refuses its whole batch: halves are sent (each within the limit) until the bad ones stand alone.
    // A property the portal lacks is wrong for every record: no split.
    if (out.kind === 'failed' && res.status === 400 && effects.length > 1 && !/Property .* does not exist/.test(res.body ?? '')) {
      const half = Math.ceil(effects.length / 2);
      const first = await pacedSend(effects.slice(0, half), pace);
      return [...first, ...(await pacedSend(effects.slice(half), pace))];
    }
    if (out.kind === 'failed') return effects.map(() => out);
    const parsed = Results.safeParse(safeJson(res.body));
    if (!parsed.success) return effects.map(() => ({ kind: 'retry', error: 'HubSpot answered with a body that is not a batch result' }));
    // A 207 answers some inputs and names the failures: each effect gets its own contact's outcome.
    const byEmail = new Map(parsed.data.results.map((r) => [(r.properties.email ?? '').toLowerCase(), r.id]));
    const problem = parsed.data.errors.map((e) => e.message).join('; ') || 'not in HubSpot’s answer';
    return effects.map((e) => {
      const id = byEmail.get(contact(e).email.toLowerCase());
      return id ? { kind: 'done', result: { crmId: id } } : { kind: 'failed', error: `HubSpot did not take the contact: ${problem.slice(0, 300)}` };
    });
  }

  const pacedSend = async (effects: OutgoingEffect[], pace: () => Promise<void>) => {
    await pace();
    return send(effects, pace);
  };

  async function inDoubt(effects: OutgoingEffect[], pace: () => Promise<void>): Promise<EffectOutcome[]> {
    const trace = cfg.traceProperty;
    if (!trace) return send(effects, pace);
    let res: HttpReply;
    try {
      res = await post('read', { idProperty: 'email', inputs: effects.map((e) => ({ id: contact(e).email })), properties: [trace] });
    } catch (err) {
      return effects.map(() => ({ kind: 'retry', error: `HubSpot could not be reached (${(err as Error).name})` }));
    }
    const out = outcomeOfStatus(res.status, 'HubSpot', res.body);
    if (out.kind !== 'done') return effects.map(() => (out.kind === 'retry' && out.rateLimited ? { ...out, afterMs: waitOf(res.body) } : out));
    const parsed = Results.safeParse(safeJson(res.body));
    const written = new Map((parsed.success ? parsed.data.results : []).map((r) => [r.properties[trace], r.id]));
    const unsent = effects.filter((e) => !written.has(e.id));
    const resent = unsent.length > 0 ? await pacedSend(unsent, pace) : [];
    return effects.map((e) => {
      const id = written.get(e.id);
      return id ? { kind: 'done', result: { crmId: id, readBack: true } } : resent[unsent.indexOf(e)]!;
    });
  }

  // A fifth of the requests kept for form leads: a batch of up to 100 contacts each, while an import keeps the rest busy.
  return { target, batchSize: cfg.batchSize, ratePerSecond: cfg.requestsPer10s / 10, urgentShare: 0.2, timeoutMs: cfg.timeoutMs, send, inDoubt };
}

function safeJson(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
