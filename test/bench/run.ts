/**
 * `npm run bench`: throughput, duplicate purchases, cost against the cheapest
 * order, cached reruns and peak memory, each printed next to its target.
 * Figures only — nothing here fails the run when a target is missed.
 *
 * This process is the API client. The engine and the sim providers run in
 * child processes, a fresh engine per scenario, so every time limit here
 * holds even when the engine stalls its own event loop.
 *
 * `npm run bench -- C` (or `A B`, `rss`, `cached`, `realtime`, `pipeline`, `cluster`) runs only the parts named
 * (`pipeline-overhead` or `pipeline-form`: one half of `pipeline`);
 * `faults` (issue 16's storage faults; needs root) runs only when named.
 */
import { cpus, loadavg } from 'node:os';
import { figure, heading, num, out } from './report.js';
import { SCENARIO_A_TLDS, SCENARIO_B_TLDS, SCENARIO_C_TLDS, scenarioAProviders, scenarioBProviders, scenarioCProviders } from './providers.js';
import { CACHED_TARGET, runCachedScenario, type CachedRun } from './cachedScenario.js';
import { type ClusterRun, reportCluster, runClusterScenario } from './clusterScenario.js';
import { runFaultScenarios } from './faults.js';
import { runRssScenario, TARGET_RSS_MB, type RssResult } from './rss.js';
import { reportRealtime, runRealtimeScenario, type RealtimeRun } from './realtimeScenario.js';
import { reportPipeline, runPipelineScenario, type PipelineRun } from './pipelineScenario.js';
import { runWaterfallScenario, type ScenarioResult, type WaterfallScenario } from './waterfallScenario.js';

const RSS_ROWS = 100_000;
const RSS_TIMEOUT_S = 150;

interface BenchScenario extends WaterfallScenario {
  /** Runs with seeds seed, seed+1, …: the summary gives their mean and spread. */
  runs?: number;
}

const SCENARIOS: BenchScenario[] = [
  {
    title: 'Scenario A: 10,000 rows, 3 providers, same match rate for every TLD',
    providers: scenarioAProviders(),
    tlds: SCENARIO_A_TLDS,
    rows: 10_000,
    warmup: 1_000,
    optimumPerTld: false,
    seed: 1,
  },
  {
    title: 'Scenario B: 10,000 rows, 3 providers, match rates differ by TLD',
    providers: scenarioBProviders(),
    tlds: SCENARIO_B_TLDS,
    rows: 10_000,
    warmup: 1_000,
    optimumPerTld: true,
    seed: 2,
  },
  {
    // The target here is over all rows, learning included: a new workspace's first few thousand rows.
    title: 'Scenario C: 3,000 rows, match rates differ among generic TLDs (.com/.io/.net/.org/.co.uk)',
    providers: scenarioCProviders(),
    tlds: SCENARIO_C_TLDS,
    rows: 3_000,
    warmup: 500,
    optimumPerTld: true,
    seed: 3,
    rerun: false,
    runs: 3,
  },
];

const letterOf = (title: string) => title.split(':')[0]!.replace('Scenario ', '');

const fmt = (x: number | undefined, digits = 3) => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));

/** Mean, range and each run's figure: a few runs say how far one run's figure is to be trusted. */
function spread(xs: (number | undefined)[]): string {
  const ok = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  if (ok.length === 0) return 'n/a';
  const mean = ok.reduce((a, x) => a + x, 0) / ok.length;
  return `mean ${fmt(mean)}, min ${fmt(Math.min(...ok))}, max ${fmt(Math.max(...ok))} (${xs.map((x) => fmt(x)).join(', ')})`;
}
// Figures are wall-clock rates: other load on the machine lowers them, so it is shown.
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

async function main(): Promise<void> {
  const started = Date.now();
  out(`Cascade benchmark — node ${process.version}, ${cpus().length} CPUs, load average ${load()}, ${new Date().toISOString()}`);
  const only = new Set(process.argv.slice(2).map((a) => a.toUpperCase()));
  const wanted = (name: string) => only.size === 0 || only.has(name.toUpperCase());
  const results: ScenarioResult[] = [];
  const repeated: { title: string; runs: ScenarioResult[] }[] = [];
  const failures: string[] = [];

  for (const s of SCENARIOS.filter((s) => wanted(letterOf(s.title)))) {
    const runs: ScenarioResult[] = [];
    for (let i = 0; i < (s.runs ?? 1); i++) {
      const run = s.runs ? { ...s, title: `${s.title} — run ${i + 1} of ${s.runs}, seed ${s.seed + i}`, seed: s.seed + i } : s;
      try {
        runs.push(await runWaterfallScenario(run));
      } catch (err) {
        failures.push(`${run.title.split(':')[0]}: ${(err as Error).message}`);
        out(`  FAILED: ${(err as Error).stack ?? err}`);
      }
    }
    if (s.runs) repeated.push({ title: s.title, runs });
    else results.push(...runs);
  }

  let rss: RssResult | undefined;
  if (wanted('rss')) {
    try {
      rss = await runRssScenario(RSS_ROWS, RSS_TIMEOUT_S);
    } catch (err) {
      failures.push(`RSS: ${(err as Error).message}`);
      out(`  FAILED: ${(err as Error).stack ?? err}`);
    }
  }

  // Only when named: it needs root (chattr) and prints its own figures.
  if (only.has('FAULTS')) {
    try {
      await runFaultScenarios();
    } catch (err) {
      failures.push(`faults: ${(err as Error).message}`);
      out(`  FAILED: ${(err as Error).stack ?? err}`);
    }
  }

  let cached: CachedRun[] | undefined;
  if (wanted('cached')) {
    try {
      cached = await runCachedScenario(Number(process.env.BENCH_CACHED_RUNS ?? 3));
    } catch (err) {
      failures.push(`cached: ${(err as Error).message}`);
      out(`  FAILED: ${(err as Error).stack ?? err}`);
    }
  }

  let realtime: RealtimeRun[] | undefined;
  if (wanted('realtime')) {
    try {
      realtime = await runRealtimeScenario();
    } catch (err) {
      failures.push(`realtime: ${(err as Error).message}`);
      out(`  FAILED: ${(err as Error).stack ?? err}`);
    }
  }

  let pipeline: PipelineRun | undefined;
  if (wanted('pipeline') || only.has('PIPELINE-OVERHEAD') || only.has('PIPELINE-FORM')) {
    const both = wanted('pipeline');
    pipeline = await runPipelineScenario({ overhead: both || only.has('PIPELINE-OVERHEAD'), form: both || only.has('PIPELINE-FORM') });
    failures.push(...pipeline.failures);
  }

  let cluster: ClusterRun[] | undefined;
  if (wanted('cluster')) {
    try {
      cluster = await runClusterScenario();
    } catch (err) {
      failures.push(`cluster: ${(err as Error).message}`);
      out(`  FAILED: ${(err as Error).stack ?? err}`);
    }
  }

  heading('Summary');
  for (const r of repeated) {
    out(`  ${r.title.split(':')[0]}, ${r.runs.length} runs (seeds differ, so do the rows), all rows with learning`);
    figure('  cost ÷ cheapest order per TLD', spread(r.runs.map((x) => x.allRowsCostRatio)), '<= 1.05');
    figure('  one global order ÷ the same, for comparison', spread(r.runs.map((x) => x.allRowsGlobalOrderRatio)));
    figure('  job 2 alone: cost ÷ optimum', spread(r.runs.map((x) => x.costRatio)));
    figure('  duplicated paid calls', r.runs.map((x) => num(x.duplicates)).join(', '), '0');
  }
  for (const r of results) {
    out(`  ${r.title.split(':')[0]}${r.completed ? '' : ' (job 2 not done in time: throughput from its progress, the rest skipped)'}`);
    figure('  job 2 throughput ÷ provider bound', fmt(r.throughputRatio), '>= 0.95');
    figure('  duplicated paid calls', num(r.duplicates), '0');
    figure('  job 2 cost ÷ optimum', fmt(r.costRatio), '<= 1.05');
    const cached = r.cachedRowsPerSecond === undefined ? 'n/a' : `${num(r.cachedRowsPerSecond)}${r.cachedFinished ? '' : ' (not done in time)'}`;
    figure('  cached rerun rows/s', cached, '>= 20,000');
    figure('  paid calls in the rerun', r.rerunPaidCalls === undefined ? 'n/a' : num(r.rerunPaidCalls), '0');
  }
  if (rss) {
    figure(
      `peak RSS, ${num(rss.rows)}-row job${rss.finished ? '' : ' (job not done in time)'}`,
      rss.maxRssMB === undefined ? 'n/a' : `${rss.maxRssMB.toFixed(0)} MB`,
      `< ${TARGET_RSS_MB} MB`,
    );
  }
  if (cached && cached.length > 0) {
    out(`  Cached lookups, POST /v1/enrich, ${cached.length} runs (floor and Cascade alternating in each)`);
    figure('  Cascade ÷ floor requests/s', spread(cached.map((r) => r.ratio)), `>= ${CACHED_TARGET}`);
    figure('  Cascade requests/s', cached.map((r) => num(r.cascade.perSecond)).join(', '));
    figure('  floor requests/s', cached.map((r) => num(r.floor.perSecond)).join(', '));
    figure('  Cascade p50 / p99 ms', cached.map((r) => `${r.cascade.p50Ms.toFixed(1)} / ${r.cascade.p99Ms.toFixed(1)}`).join(', '));
    figure('  floor p50 / p99 ms', cached.map((r) => `${r.floor.p50Ms.toFixed(1)} / ${r.floor.p99Ms.toFixed(1)}`).join(', '));
  }
  if (realtime && realtime.length > 0) reportRealtime(realtime, spread);
  if (pipeline) reportPipeline(pipeline);
  if (cluster && cluster.length > 0) reportCluster(cluster);
  for (const f of failures) out(`  FAILED ${f}`);
  out(`\n  total bench time ${((Date.now() - started) / 1000).toFixed(0)} s; load average now ${load()}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
