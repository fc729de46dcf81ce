/**
 * `npm run bench`: throughput, duplicate purchases, cost against the cheapest
 * order, cached reruns and peak memory, each printed next to its target.
 * Figures only — nothing here fails the run when a target is missed.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SCENARIO_A_TLDS, SCENARIO_B_TLDS, scenarioAProviders, scenarioBProviders } from './providers.js';
import { figure, heading, num, out } from './report.js';
import { RSS_MARKER, type RssResult } from './rssResult.js';
import { runWaterfallScenario, type ScenarioResult } from './waterfallScenario.js';

const RSS_ROWS = 100_000;
const RSS_TIMEOUT_MS = 360_000;
const TARGET_RSS_MB = 400;

/** Runs rss.ts in its own process and returns its result line; kills it if it overstays. */
function runRssChild(rows: number): Promise<RssResult> {
  const entry = fileURLToPath(new URL('./rss.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry, String(rows)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), RSS_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RSS_MARKER));
      if (line) resolve(JSON.parse(line.slice(RSS_MARKER.length)) as RssResult);
      else reject(new Error(`rss.ts exited (${signal ?? `code ${code}`}) without a result${signal === 'SIGKILL' ? ` within ${RSS_TIMEOUT_MS / 1000} s` : ''}`));
    });
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  out(`Cascade benchmark — node ${process.version}, ${new Date().toISOString()}`);
  const results: ScenarioResult[] = [];
  const failures: string[] = [];

  const scenarios = [
    {
      title: 'Scenario A: 10,000 rows, 3 providers, same match rate for every TLD',
      providers: scenarioAProviders(),
      tlds: SCENARIO_A_TLDS,
      optimumPerTld: false,
      seed: 1,
    },
    {
      title: 'Scenario B: 10,000 rows, 3 providers, match rates differ by TLD',
      providers: scenarioBProviders(),
      tlds: SCENARIO_B_TLDS,
      optimumPerTld: true,
      seed: 2,
    },
  ];
  for (const s of scenarios) {
    try {
      results.push(await runWaterfallScenario({ ...s, rows: 10_000, warmup: 1_000 }));
    } catch (err) {
      failures.push(`${s.title}: ${(err as Error).message}`);
      out(`  FAILED: ${(err as Error).stack ?? err}`);
    }
  }

  heading(`Peak RSS: one ${num(RSS_ROWS)}-row job in a separate process (fast sim providers)`);
  let rss: RssResult | undefined;
  try {
    rss = await runRssChild(RSS_ROWS);
    figure('rows', `${num(rss.rows)}: ${Object.entries(rss.counts).filter(([k]) => k !== 'total').map(([k, n]) => `${k} ${n}`).join(', ')}`);
    figure('elapsed', `${rss.seconds.toFixed(1)} s (${num(rss.rows / rss.seconds)} rows/s, engine-bound)`);
    figure('paid calls', num(rss.paidCalls));
    figure('peak RSS (maxRSS)', `${rss.maxRssMB.toFixed(0)} MB`, `< ${TARGET_RSS_MB} MB`);
  } catch (err) {
    failures.push(`RSS: ${(err as Error).message}`);
    out(`  FAILED: ${(err as Error).message}`);
  }

  heading('Summary');
  for (const r of results) {
    out(`  ${r.title.split(':')[0]}`);
    figure('  job 2 throughput ÷ provider bound', r.throughputRatio.toFixed(3), '>= 0.95');
    figure('  duplicated paid calls', num(r.duplicates), '0');
    figure('  job 2 cost ÷ optimum', r.costRatio.toFixed(3), '<= 1.05');
    figure('  cached rerun rows/s', num(r.cachedRowsPerSecond), '>= 20,000');
    figure('  paid calls in the rerun', num(r.rerunPaidCalls), '0');
  }
  if (rss) figure('peak RSS, 100k-row job', `${rss.maxRssMB.toFixed(0)} MB`, `< ${TARGET_RSS_MB} MB`);
  for (const f of failures) out(`  FAILED ${f}`);
  out(`\n  total bench time ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
