/** Answers one provider gave in one segment of one workspace. */
export interface Tally {
  answered: number;
  matches: number;
  latencyMs: number;
}

export interface TallyRow extends Tally {
  workspaceId: string;
  providerId: string;
  segment: string;
}

import { ProviderHealth } from './providerHealth.js';

const ALL = '*';
const LATENCY_WINDOW = 256;

/**
 * The TLD a segment belongs to when the segment is a public suffix of more
 * than one label (`co.uk` → `uk`); undefined for a TLD itself (`com`) and
 * for "generic" (rows without a domain, and, journalled before issue 19, every
 * row outside a country TLD), which have no level between them and the workspace.
 */
export function parentTld(segment: string): string | undefined {
  const dot = segment.lastIndexOf('.');
  return dot === -1 ? undefined : segment.slice(dot + 1);
}

/**
 * Outcomes per (workspace, segment, provider) and recent latencies per
 * provider, kept in memory and seeded from the call journal at start, so the
 * learned order survives restarts without a table of its own.
 */
export class Stats {
  /** workspace → segment → provider: nested, so the ranking done per row and step builds no key strings. */
  private readonly tallies = new Map<string, Map<string, Map<string, Tally>>>();
  /** workspace → TLD → provider: the answers of every segment of that TLD (`uk`, `co.uk`, `org.uk`, …). */
  private readonly tlds = new Map<string, Map<string, Map<string, Tally>>>();
  private readonly latencies = new Map<string, { ring: number[]; next: number; sorted?: number[] }>();
  /**
   * Calls in flight and last answers per provider, judged against the p50 and
   * p95 below. Kept here because the caller (which feeds it) and the real-time
   * loop (which reads it) both already hold the Stats.
   */
  readonly health = new ProviderHealth(this);
  /** Grows with every recorded answer: whatever was worked out from the tallies at one version holds until it moves. */
  private recorded = 0;
  /** segmentSpread() by workspace and provider, as of a version: an estimate of thousands of rows asks for it per row. */
  private readonly spreads = new Map<string, Map<string, { version: number; spread: number | undefined }>>();

  constructor(seed: TallyRow[] = []) {
    // Seeded segments may be of an older rule ("generic" for every non-country TLD, `uk` for `co.uk`): they count
    // for the workspace, and a `uk` row for the `co.uk` rows through the TLD level; "generic" now has rows without a domain.
    for (const r of seed) this.count(r.workspaceId, r.segment, r.providerId, r);
  }

  record(workspace: string, segment: string, provider: string, matched: boolean, latencyMs: number): void {
    this.count(workspace, segment, provider, { answered: 1, matches: matched ? 1 : 0, latencyMs });
    this.observeLatency(provider, latencyMs);
    this.recorded++;
  }

  private count(workspace: string, segment: string, provider: string, t: Tally): void {
    this.add(this.tallies, workspace, segment, provider, t);
    this.add(this.tallies, workspace, ALL, provider, t);
    this.add(this.tlds, workspace, parentTld(segment) ?? segment, provider, t);
  }

  get version(): number {
    return this.recorded;
  }

  tally(workspace: string, segment: string, provider: string): Tally | undefined {
    return this.tallies.get(workspace)?.get(segment)?.get(provider);
  }

  overall(workspace: string, provider: string): Tally | undefined {
    return this.tally(workspace, ALL, provider);
  }

  /** Answers in every segment of this TLD, the TLD's own segment included. */
  tldTally(workspace: string, tld: string, provider: string): Tally | undefined {
    return this.tlds.get(workspace)?.get(tld)?.get(provider);
  }

  /**
   * How much the provider's match rate varies from segment to segment, as a
   * variance of the rate (method of moments: the spread of the segments'
   * observed rates less what their sample sizes alone would explain).
   * Undefined until two segments have answers.
   */
  segmentSpread(workspace: string, provider: string): number | undefined {
    let providers = this.spreads.get(workspace);
    if (!providers) this.spreads.set(workspace, (providers = new Map()));
    const kept = providers.get(provider);
    if (kept && kept.version === this.recorded) return kept.spread;
    const spread = this.spreadOf(workspace, provider);
    providers.set(provider, { version: this.recorded, spread });
    return spread;
  }

  private spreadOf(workspace: string, provider: string): number | undefined {
    const all = this.overall(workspace, provider);
    if (!all || all.answered === 0) return undefined;
    const m = all.matches / all.answered;
    let segments = 0;
    let between = 0;
    let sumSquares = 0;
    for (const [segment, providers] of this.tallies.get(workspace) ?? []) {
      const t = segment === ALL ? undefined : providers.get(provider);
      if (!t || t.answered === 0) continue;
      segments++;
      between += t.answered * (t.matches / t.answered - m) ** 2;
      sumSquares += t.answered ** 2;
    }
    if (segments < 2) return undefined;
    const n = all.answered;
    return Math.max(0, (between - (segments - 1) * m * (1 - m)) / (n - sumSquares / n));
  }

  observeLatency(provider: string, ms: number): void {
    // The p95 is the provider's outside its bad spells: see ProviderHealth.keepsOut.
    const p95 = this.p95(provider);
    if (p95 !== undefined && ms > p95 && this.health.keepsOut(provider)) return;
    let l = this.latencies.get(provider);
    if (!l) this.latencies.set(provider, (l = { ring: [], next: 0 }));
    if (l.ring.length < LATENCY_WINDOW) l.ring.push(ms);
    else l.ring[l.next] = ms;
    l.next = (l.next + 1) % LATENCY_WINDOW;
    l.sorted = undefined;
  }

  /** p95 of the provider's recent latencies; undefined until there are enough to mean something. */
  p95(provider: string): number | undefined {
    return this.quantile(provider, 0.95);
  }

  /** Median of the provider's recent latencies: the time a call is expected to take while the provider is healthy. */
  p50(provider: string): number | undefined {
    return this.quantile(provider, 0.5);
  }

  private quantile(provider: string, q: number): number | undefined {
    const l = this.latencies.get(provider);
    if (!l || l.ring.length < 20) return undefined;
    // Sorted once per new latency: the real-time loop asks for these on every wake.
    l.sorted ??= [...l.ring].sort((a, b) => a - b);
    return l.sorted[Math.min(l.sorted.length - 1, Math.ceil(l.sorted.length * q) - 1)]!;
  }

  private add(into: Map<string, Map<string, Map<string, Tally>>>, workspace: string, segment: string, provider: string, t: Tally): void {
    let segments = into.get(workspace);
    if (!segments) into.set(workspace, (segments = new Map()));
    let providers = segments.get(segment);
    if (!providers) segments.set(segment, (providers = new Map()));
    addTo(providers, provider, t);
  }
}

function addTo(providers: Map<string, Tally>, provider: string, t: Tally): void {
  const cur = providers.get(provider);
  if (cur) {
    cur.answered += t.answered;
    cur.matches += t.matches;
    cur.latencyMs += t.latencyMs;
  } else {
    providers.set(provider, { answered: t.answered, matches: t.matches, latencyMs: t.latencyMs });
  }
}
