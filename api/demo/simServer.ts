import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { demoModelCompletion } from './demoModel.js';

/** The demo model's chat completions (demoModel.ts), beside the simulated providers: `${url}/demo-model` is its base URL. */
export const DEMO_MODEL_PATH = '/demo-model/chat/completions';
const DEMO_MODEL_LATENCY_MS = 150;
import type { AddressInfo } from 'node:net';
import type { Field } from '../../shared/index.js';
import { seeded, unitHash } from './prng.js';
import { simValues } from './simData.js';

/** How a simulated provider behaves. Everything here can be changed while it runs, to script outages and storms. */
export interface SimBehaviour {
  /** Chance a lead is known, by TLD, with `*` for the rest. Fixed per (provider, lead), as with a real database. */
  matchRate: Record<string, number>;
  /** Log-normal latency: median and spread (sigma of the underlying normal). */
  latency: { medianMs: number; sigma: number };
  /** Real limits, enforced with 429s. `retryAfter` false models a provider that sends no Retry-After. */
  concurrency?: number;
  ratePerSecond?: number;
  retryAfter?: boolean;
  /** Answer 503 to everything. */
  down?: boolean;
  /** Answer 500 to these inputs. */
  failFor?: Set<string>;
  /**
   * Refuse a share of the leads (chosen by hash, so the same ones each run)
   * with this status the first time this server is asked about them; later
   * asks answer normally. A demo's way to show flagged rows and Retry flagged.
   */
  failFirstTime?: { share: number; status: number };
  /**
   * A slow spell: after `after` more requests (0 if absent), the next `calls`
   * requests take `extraMs` longer than their drawn latency. Counted down as
   * requests arrive, so a spell lasts as many calls as it says, however few
   * are sent its way.
   */
  slow?: { after?: number; calls: number; extraMs: number };
  /** Answer the next N requests with 429 and this Retry-After (seconds). */
  storm?: { remaining: number; retryAfterS: number };
  /** Answer 200 with a body that is not JSON. */
  malformed?: boolean;
  /** Answer this status to everything (401 to model a revoked key). */
  forceStatus?: number;
}

export interface SimProvider {
  id: string;
  fields: Field[];
  behaviour: SimBehaviour;
}

export interface SimRequest {
  provider: string;
  q: string;
  status: number;
  at: number;
  /** The latency drawn for this request; absent for answers given at once (429s). */
  latencyMs?: number;
}

export interface SimServer {
  url: string;
  requests: SimRequest[];
  providers: Map<string, SimProvider>;
  /** Peak requests in flight per provider, to check flow control kept within limits. */
  peakInflight: Map<string, number>;
  /** Requests received so far, counted on arrival (`requests` is logged as each is answered). */
  arrivals(): number;
  close(): Promise<void>;
}

function rateFor(b: SimBehaviour, q: string): number {
  const domain = q.includes('@') ? q.slice(q.indexOf('@') + 1) : q;
  const tld = domain.slice(domain.lastIndexOf('.') + 1);
  return b.matchRate[tld] ?? b.matchRate['*'] ?? 0;
}

/**
 * Enrichment providers on 127.0.0.1 that answer like real ones: JSON on a
 * match, 404 when the lead is unknown, 429 past their limits, and whatever
 * failure a test scripts. `GET /{provider}?q={input}`.
 */
export async function startSimServer(providers: SimProvider[], opts: { port?: number; seed?: number } = {}): Promise<SimServer> {
  const byId = new Map(providers.map((p) => [p.id, p]));
  const requests: SimRequest[] = [];
  let arrived = 0;
  const inflight = new Map<string, number>();
  const peakInflight = new Map<string, number>();
  const windows = new Map<string, { start: number; count: number }>();
  /** `provider:q` already refused once under failFirstTime: asked again, they answer. */
  const refusedOnce = new Set<string>();
  const random = seeded(opts.seed ?? 42);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

  function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname === DEMO_MODEL_PATH) {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      await new Promise((r) => setTimeout(r, DEMO_MODEL_LATENCY_MS));
      return answer(res, 200, demoModelCompletion(JSON.parse(Buffer.concat(chunks).toString() || '{}')));
    }
    const id = url.pathname.slice(1);
    const q = url.searchParams.get('q') ?? '';
    const p = byId.get(id);
    if (!p) return answer(res, 404, { error: 'no such provider' });
    arrived++;
    const b = p.behaviour;
    const now = Date.now();
    let latencyMs: number | undefined;
    const log = (status: number) => requests.push({ provider: id, q, status, at: now, latencyMs });
    const tooMany = (retryAfterS: number) => {
      log(429);
      answer(res, 429, { error: 'rate_limited' }, b.retryAfter === false ? {} : { 'retry-after': String(retryAfterS) });
    };
    if (b.storm && b.storm.remaining > 0) {
      b.storm.remaining--;
      return tooMany(b.storm.retryAfterS);
    }
    if (b.ratePerSecond !== undefined) {
      const w = windows.get(id) ?? { start: now, count: 0 };
      if (now - w.start >= 1000) Object.assign(w, { start: now - ((now - w.start) % 1000), count: 0 });
      windows.set(id, w);
      if (w.count >= b.ratePerSecond) return tooMany(1);
      w.count++;
    }
    const n = (inflight.get(id) ?? 0) + 1;
    if (b.concurrency !== undefined && n > b.concurrency) return tooMany(1);
    inflight.set(id, n);
    peakInflight.set(id, Math.max(peakInflight.get(id) ?? 0, n));
    try {
      latencyMs = b.latency.medianMs * Math.exp(b.latency.sigma * gaussian());
      if (b.slow && b.slow.calls > 0) {
        if (b.slow.after) b.slow.after--;
        else {
          b.slow.calls--;
          latencyMs += b.slow.extraMs;
        }
      }
      await new Promise((r) => setTimeout(r, latencyMs));
      if (b.forceStatus) {
        log(b.forceStatus);
        return answer(res, b.forceStatus, { error: 'forced' });
      }
      if (b.down || b.failFor?.has(q)) {
        const status = b.down ? 503 : 500;
        log(status);
        return answer(res, status, { error: 'unavailable' });
      }
      const first = b.failFirstTime;
      if (first && !refusedOnce.has(`${id}:${q}`) && unitHash(`first:${id}:${q}`) < first.share) {
        refusedOnce.add(`${id}:${q}`);
        log(first.status);
        return answer(res, first.status, { error: 'demo_first_time_refusal' });
      }
      if (b.malformed) {
        log(200);
        return answer(res, 200, '{"data": {"company.name": "Trunc');
      }
      if (unitHash(`${id}:${q}`) >= rateFor(b, q)) {
        log(404);
        return answer(res, 404, { error: 'not_found' });
      }
      log(200);
      answer(res, 200, { data: simValues(q, p.fields) });
    } finally {
      inflight.set(id, (inflight.get(id) ?? 1) - 1);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    providers: byId,
    peakInflight,
    arrivals: () => arrived,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
