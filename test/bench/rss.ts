/**
 * Peak memory of a 100,000-row job. Run on its own (`tsx test/bench/rss.ts
 * [rows]`) or by run.ts as a child process, so the figure is this job's alone.
 * The simulated providers run in a further child (see sim.ts), so their
 * request log is not counted either. The last stdout line is JSON for run.ts.
 */
import { seeded } from '../../api/demo/prng.js';
import { paidCalls } from './analysis.js';
import { fastProviders } from './providers.js';
import { RSS_MARKER, type RssResult } from './rssResult.js';
import { elapsedSeconds, makeRows, startBench } from './scenario.js';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 100_000);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`rows must be a positive integer, not ${process.argv[2]}`);
  const bench = await startBench(fastProviders());
  try {
    const { id, postedAt } = await bench.submit(makeRows(n, { com: 50, de: 20, fr: 15, io: 15 }, seeded(7), 'mem'));
    const job = await bench.waitDone(id, { pollMs: 250, timeoutMs: 300_000 });
    // Read before the sim's request log is fetched: that copy is the benchmark's, not the engine's.
    const maxRssKB = process.resourceUsage().maxRSS;
    const log = await bench.sim.log();
    const result: RssResult = {
      rows: n,
      seconds: elapsedSeconds(postedAt, job),
      maxRssMB: maxRssKB / 1024,
      counts: Object.fromEntries(Object.entries(job.counts).filter(([, c]) => c > 0)),
      paidCalls: paidCalls(log.requests),
    };
    process.stdout.write(`${RSS_MARKER}${JSON.stringify(result)}\n`);
  } finally {
    await bench.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
