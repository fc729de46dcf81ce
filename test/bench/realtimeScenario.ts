/**
 * Issue 19's real-time scenario, as a user would try it: 300 lookups
 * (POST /v1/enrich, 10 at a time, deadlineMs 1500, company name + industry)
 * against three providers, where the cheapest per match (p50 150 ms, p95
 * 400 ms) turns 4 s slower for 150 consecutive calls after its first 60.
 * The other two answer in 100–200 ms.
 *
 * Figures: p50/p95 of the lookups' wall-clock time seen by the client; the
 * share of lookups with every field some provider could give (known from
 * the sim's own hash, as the sim decides matches); paid calls (answered
 * 200/404, every provider here charges per call) per lookup, counted at the
 * sim after the calls still out have ended; duplicated paid calls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unitHash } from '../../api/demo/prng.js';
import type { Field } from '../../shared/index.js';
import type { BenchProvider } from './benchConfig.js';
import { startCascadeProcess } from './cascadeClient.js';
import { figure, heading, out } from './report.js';
import { startRemoteSim } from './sim.js';

const FIELDS: Field[] = ['company.name', 'company.industry'];
const LOOKUPS = 300;
const PARALLEL = 10;
const DEADLINE_MS = 1500;
const MATCH_RATE = 0.85;
export const REALTIME_TARGET = { p95Ms: 1000, complete: 0.9, paidPerLookup: 1.3 };

function providers(): BenchProvider[] {
  const limits = { concurrency: 20, ratePerSecond: 200 };
  return [
    {
      // Cheapest per match; p95 = 150·e^(1.645·0.6) ≈ 400 ms. Slow by 4 s for 150 calls after its first 60.
      id: 'cheap',
      fields: FIELDS,
      behaviour: { matchRate: { '*': MATCH_RATE }, latency: { medianMs: 150, sigma: 0.6 }, slow: { after: 60, calls: 150, extraMs: 4000 }, ...limits },
      costPerCall: 0.004,
      costPerMatch: 0,
    },
    {
      id: 'mid',
      fields: FIELDS,
      behaviour: { matchRate: { '*': MATCH_RATE }, latency: { medianMs: 130, sigma: 0.25 }, ...limits },
      costPerCall: 0.008,
      costPerMatch: 0,
    },
    {
      id: 'dear',
      fields: FIELDS,
      behaviour: { matchRate: { '*': MATCH_RATE }, latency: { medianMs: 160, sigma: 0.25 }, ...limits },
      costPerCall: 0.012,
      costPerMatch: 0,
    },
  ];
}

export interface RealtimeRun {
  p50Ms: number;
  p95Ms: number;
  /** Share of lookups with every field a provider could give. */
  complete: number;
  paidPerLookup: number;
  duplicates: number;
  /** Paid calls per provider. */
  calls: Record<string, number>;
  /** Slow calls the cheap provider still had to serve at the end (its spell is counted in calls). */
  spellLeft: number;
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * q) - 1)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runOnce(run: number): Promise<RealtimeRun> {
  const list = providers();
  const dir = mkdtempSync(join(tmpdir(), 'cascade-bench-rt-'));
  const sim = await startRemoteSim(list.map((p) => ({ id: p.id, fields: p.fields!, behaviour: p.behaviour })));
  try {
    const engine = await startCascadeProcess(list, sim.url, dir);
    try {
      const domains = Array.from({ length: LOOKUPS }, (_, i) => `rt${run}-${i}.com`);
      const times: number[] = [];
      let complete = 0;
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < LOOKUPS; i = next++) {
          const domain = domains[i]!;
          const t0 = performance.now();
          const res = await fetch(`${engine.url}/v1/enrich`, {
            method: 'POST',
            headers: { authorization: `Bearer ${engine.key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ input: { domain }, fields: FIELDS, deadlineMs: DEADLINE_MS }),
          });
          const body = (await res.json()) as { missing?: string[] };
          times.push(performance.now() - t0);
          if (!res.ok) throw new Error(`POST /v1/enrich: HTTP ${res.status} ${JSON.stringify(body)}`);
          // Every provider gives both fields: they are available exactly when some provider knows the lead.
          const available = list.some((p) => unitHash(`${p.id}:${domain}`) < MATCH_RATE);
          if (!available || (body.missing ?? []).length === 0) complete++;
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
      // The calls still out (a slow one takes ~4.5 s, timeout 5 s) are paid too: count them once they end.
      await sleep(5500);
      const log = await sim.log();
      const paid = log.requests.filter((r) => r.status === 200 || r.status === 404);
      const seen = new Map<string, number>();
      const calls: Record<string, number> = {};
      for (const r of paid) {
        seen.set(`${r.provider}:${r.q}`, (seen.get(`${r.provider}:${r.q}`) ?? 0) + 1);
        calls[r.provider] = (calls[r.provider] ?? 0) + 1;
      }
      const slowCalls = log.requests.filter((r) => r.provider === 'cheap' && (r.latencyMs ?? 0) > 3000).length;
      return {
        p50Ms: quantile(times, 0.5),
        p95Ms: quantile(times, 0.95),
        complete: complete / LOOKUPS,
        paidPerLookup: paid.length / LOOKUPS,
        duplicates: [...seen.values()].filter((n) => n > 1).length,
        calls,
        spellLeft: 150 - slowCalls,
      };
    } finally {
      await engine.stop();
    }
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runRealtimeScenario(runs = 3): Promise<RealtimeRun[]> {
  heading(`Real-time: ${LOOKUPS} lookups, ${PARALLEL} at a time, deadline ${DEADLINE_MS} ms; the cheapest provider 4 s slower for 150 calls after 60`);
  const results: RealtimeRun[] = [];
  for (let run = 1; run <= runs; run++) {
    const r = await runOnce(run);
    results.push(r);
    out(
      `  run ${run}: p50 ${r.p50Ms.toFixed(0)} ms, p95 ${r.p95Ms.toFixed(0)} ms, complete ${(r.complete * 100).toFixed(1)}%, ` +
        `paid calls/lookup ${r.paidPerLookup.toFixed(3)}, duplicates ${r.duplicates}, calls ${JSON.stringify(r.calls)}, spell calls not yet served ${r.spellLeft}`,
    );
  }
  return results;
}

export function reportRealtime(runs: RealtimeRun[], spread: (xs: number[]) => string): void {
  out(`  Real-time routing, ${runs.length} runs (fresh engine and sim each)`);
  figure('  lookup p95 ms', spread(runs.map((r) => r.p95Ms)), `<= ${REALTIME_TARGET.p95Ms}`);
  figure('  lookup p50 ms', spread(runs.map((r) => r.p50Ms)));
  figure('  lookups with every available field', spread(runs.map((r) => r.complete)), `>= ${REALTIME_TARGET.complete}`);
  figure('  paid calls per lookup', spread(runs.map((r) => r.paidPerLookup)), `<= ${REALTIME_TARGET.paidPerLookup}`);
  figure('  duplicated paid calls', runs.map((r) => String(r.duplicates)).join(', '), '0');
}
