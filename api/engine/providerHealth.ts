/**
 * How each provider is doing right now, from its calls in flight and its
 * last few answers: for real-time routing (realtime.ts), which must tell a
 * provider's single slow call (hedge it, rationed) from a bad spell where
 * most of its calls are slow (route around it, see order.ts realtimeOrder).
 *
 * Fed by Caller.attempt around every request, bulk and real-time alike: bulk
 * traffic, which keeps asking a degraded provider (bulk waits; its cost
 * order stands), is what usually shows its recovery; without it, an
 * occasional real-time probe does (claimProbe).
 */

/** The latency figures the judgement is made against (Stats). */
export interface LatencyFigures {
  p50(provider: string): number | undefined;
  p95(provider: string): number | undefined;
}

export interface CallHandle {
  provider: string;
  id: number;
  startedAt: number;
}

interface Track {
  /** call id → start time: the calls on the wire now. */
  inflight: Map<number, number>;
  /** The last RECENT answers, oldest first; `slow`: past the provider's p95 as it stood before this answer counted. */
  recent: { ms: number; slow: boolean }[];
  lastProbeAt: number;
  /** When the current spell began (degraded as of the last answer), or undefined while healthy. */
  spellSince?: number;
  /** As of the last answer: in a spell, and not for longer than SPELL_MAX_MS. */
  keepOut: boolean;
}

/**
 * Answers remembered per provider. Small on purpose: the verdict must turn
 * within a couple of calls either way (two fast probes end a spell), and it
 * is the calls in flight that show a spell's onset, before any answer.
 */
const RECENT = 4;
/** At most one real-time probe of a degraded provider per this long, and only while none of its calls is out. */
export const PROBE_INTERVAL_MS = 1000;
/**
 * A spell this long is the provider's new normal: its slow latencies count
 * towards its p95 again (see keepsOut), and in time it is healthy at its new pace.
 */
export const SPELL_MAX_MS = 10 * 60_000;

/**
 * "Slow" is past the provider's p95 by half again: a burst of calls on a
 * busy machine stretches every latency a little, and a provider must not be
 * routed around for that; a bad spell is seconds, far beyond this.
 */
const SLOW_FACTOR = 1.5;

export class ProviderHealth {
  private readonly tracks = new Map<string, Track>();
  private nextId = 0;

  constructor(private readonly figures: LatencyFigures) {}

  private limit(provider: string): number | undefined {
    const p95 = this.figures.p95(provider);
    return p95 === undefined ? undefined : p95 * SLOW_FACTOR;
  }

  private track(provider: string): Track {
    let t = this.tracks.get(provider);
    if (!t) this.tracks.set(provider, (t = { inflight: new Map(), recent: [], lastProbeAt: -Infinity, keepOut: false }));
    return t;
  }

  /** A request goes on the wire. Every begin() must be matched by one end(). */
  begin(provider: string, now: number): CallHandle {
    const id = this.nextId++;
    this.track(provider).inflight.set(id, now);
    return { provider, id, startedAt: now };
  }

  /** Its answer (any answer, an error or a timeout too) is back. */
  end(call: CallHandle, now: number): void {
    const t = this.track(call.provider);
    if (!t.inflight.delete(call.id)) return;
    const ms = now - call.startedAt;
    const limit = this.limit(call.provider);
    t.recent.push({ ms, slow: limit !== undefined && ms > limit });
    if (t.recent.length > RECENT) t.recent.shift();
    if (this.degraded(call.provider, now)) t.spellSince ??= now;
    else t.spellSince = undefined;
    t.keepOut = t.spellSince !== undefined && now - t.spellSince < SPELL_MAX_MS;
  }

  /**
   * Whether the latency of the answer just ended() stays out of the
   * provider's p95 window (Stats.observeLatency): a slow answer during a
   * spell. Else a spell hides itself: once 5% of the window (13 of 256
   * answers, fewer while it is filling) is spell, the p95 is the spell's
   * latency, nothing is slower than it, and the degraded provider would be
   * waited on again at its full slowness.
   */
  keepsOut(provider: string): boolean {
    return this.tracks.get(provider)?.keepOut ?? false;
  }

  inflight(provider: string): number {
    return this.tracks.get(provider)?.inflight.size ?? 0;
  }

  /**
   * Degraded: most of its calls in flight are clearly slower than its own
   * recent p95 (SLOW_FACTOR), or most of its last few answers were; either
   * way at least two (one slow call is the tail any provider has). The calls
   * in flight show a spell's onset before any of them answers; the answers
   * keep it known while nothing is in flight (real time routes around it),
   * and two fast ones of the last four end it. A provider without a p95 yet
   * (under 20 answers) is never degraded.
   */
  degraded(provider: string, now: number): boolean {
    const limit = this.limit(provider);
    const t = this.tracks.get(provider);
    if (limit === undefined || !t) return false;
    let slow = 0;
    for (const started of t.inflight.values()) if (now - started > limit) slow++;
    if (slow >= 2 && slow * 2 > t.inflight.size) return true;
    slow = 0;
    for (const r of t.recent) if (r.slow) slow++;
    return slow >= 2 && slow * 2 > t.recent.length;
  }

  /**
   * How long a call started now is expected to take: the provider's median
   * while it is healthy; while degraded, the median of its slow calls (the
   * answers' latencies, and for calls still out, how long they have been
   * out: a lower bound that grows until they answer). Undefined when
   * nothing is known yet.
   */
  expectedMs(provider: string, now: number): number | undefined {
    if (!this.degraded(provider, now)) return this.figures.p50(provider);
    const limit = this.limit(provider)!;
    const t = this.tracks.get(provider)!;
    const slow: number[] = [];
    for (const started of t.inflight.values()) if (now - started > limit) slow.push(now - started);
    for (const r of t.recent) if (r.slow) slow.push(r.ms);
    slow.sort((a, b) => a - b);
    return slow[Math.floor(slow.length / 2)];
  }

  /**
   * Whether a real-time lookup may ask this degraded provider first, as a
   * probe: with nothing of it in flight no answer would otherwise show that
   * the spell is over, since real time routes around it. At most one probe
   * per PROBE_INTERVAL_MS; claiming one counts it.
   */
  claimProbe(provider: string, now: number): boolean {
    const t = this.track(provider);
    if (t.inflight.size > 0 || now - t.lastProbeAt < PROBE_INTERVAL_MS || !this.degraded(provider, now)) return false;
    t.lastProbeAt = now;
    return true;
  }
}
