/**
 * `npm run bench`: throughput, duplicate purchases, cost against the cheapest
 * order, cached reruns and peak memory, each printed next to its target.
 * Figures only — nothing here fails the run when a target is missed.
 *
 * This process is the API client. The engine and the sim providers run in
 * child processes, a fresh engine per scenario, so every time limit here
 * holds even when the engine stalls its own event loop.
 */
import { cpus, loadavg } from 'node:os';
import { figure, heading, num, out } from './report.js';
import { SCENARIO_A_TLDS, SCENARIO_B_TLDS, scenarioAProviders, scenarioBProviders } from './providers.js';
import { runRssScenario, TARGET_RSS_MB, type RssResult } from './rss.js';
import { runWaterfallScenario, type ScenarioResult, type WaterfallScenario } from './waterfallScenario.js';

const RSS_ROWS = 100_000;
const RSS_TIMEOUT_S = 150;

const SCENARIOS: WaterfallScenario[] = [
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
];

const fmt = (x: number | undefined, digits = 3) => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));
// Figures are wall-clock rates: other load on the machine lowers them, so it is shown.
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');

async function main(): Promise<void> {
  const started = Date.now();
  out(`Cascade benchmark — node ${process.version}, ${cpus().length} CPUs, load average ${load()}, ${new Date().toISOString()}`);
  const results: ScenarioResult[] = [];
  const failures: string[] = [];

  for (const s of SCENARIOS) {
    try {
      results.push(await runWaterfallScenario(s));
    } catch (err) {
      failures.push(`${s.title.split(':')[0]}: ${(err as Error).message}`);
      out(`  FAILED: ${(err as Error).stack ?? err}`);
    }
  }

  let rss: RssResult | undefined;
  try {
    rss = await runRssScenario(RSS_ROWS, RSS_TIMEOUT_S);
  } catch (err) {
    failures.push(`RSS: ${(err as Error).message}`);
    out(`  FAILED: ${(err as Error).stack ?? err}`);
  }

  heading('Summary');
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
    figure(`peak RSS, ${num(rss.rows)}-row job${rss.finished ? '' : ' (job not done in time)'}`, rss.maxRssMB === undefined ? 'n/a' : `${rss.maxRssMB.toFixed(0)} MB`, `< ${TARGET_RSS_MB} MB`);
  }
  for (const f of failures) out(`  FAILED ${f}`);
  out(`\n  total bench time ${((Date.now() - started) / 1000).toFixed(0)} s; load average now ${load()}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
