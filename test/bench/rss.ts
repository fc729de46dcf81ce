/**
 * Peak RSS of the engine process while it runs one 100,000-row job on fast
 * sim providers. The engine is its own process (see cascadeProcess.ts), so
 * the figure holds neither the other scenarios nor the bench's client or the
 * sims. Also runnable alone: `tsx test/bench/rss.ts [rows] [timeoutSeconds]`.
 */
import { pathToFileURL } from 'node:url';
import { seeded } from '../../api/demo/prng.js';
import { paidCalls } from './analysis.js';
import { fastProviders } from './providers.js';
import { figure, heading, num } from './report.js';
import { makeRows, startBench } from './scenario.js';

export const TARGET_RSS_MB = 400;

export interface RssResult {
  rows: number;
  finished: boolean;
  rowsDone: number;
  seconds: number;
  /** process.resourceUsage().maxRSS of the engine process, or VmHWM read from /proc if it would not answer. */
  maxRssMB: number | undefined;
}

export async function runRssScenario(n: number, timeoutS: number): Promise<RssResult> {
  heading(`Peak RSS: one ${num(n)}-row job, engine in its own process (fast sim providers)`);
  const bench = await startBench(fastProviders());
  try {
    const job = await bench.submit(makeRows(n, { com: 50, de: 20, fr: 15, io: 15 }, seeded(7), 'mem'));
    const outcome = await bench.wait(job, { pollMs: 500, timeoutMs: timeoutS * 1000 });
    const stats = await bench.engine.stats({ timeoutMs: 15_000 });
    const maxRssMB = stats?.memory.maxRssMB ?? bench.engine.vmHwmMB();
    figure(
      'rows',
      `${num(n)}: ${Object.entries(outcome.view.counts)
        .filter(([k, c]) => c > 0 && k !== 'total')
        .map(([k, c]) => `${k} ${c}`)
        .join(', ')}`,
    );
    figure(
      'elapsed',
      outcome.finished
        ? `${outcome.seconds.toFixed(1)} s (${num(n / outcome.seconds)} rows/s, engine-bound)`
        : `NOT DONE after ${outcome.seconds.toFixed(0)} s: ${num(outcome.rowsDone)} of ${num(n)} rows (${num(outcome.rowsDone / outcome.seconds)} rows/s)`,
    );
    figure('paid calls', num(paidCalls((await bench.sim.log()).requests)));
    if (stats) {
      const m = stats.memory;
      figure('engine event loop: max / p99 delay', `${num(stats.loop.maxMs)} ms / ${num(stats.loop.p99Ms)} ms`);
      figure(
        'peaks of heapUsed / heapTotal / external',
        `${m.peakHeapUsedMB.toFixed(0)} / ${m.peakHeapTotalMB.toFixed(0)} / ${m.peakExternalMB.toFixed(0)} MB`,
      );
    }
    const label = `peak RSS${stats ? ' (maxRSS)' : ' (VmHWM: the engine did not answer)'}${outcome.finished ? '' : ' while the job ran'}`;
    figure(label, maxRssMB === undefined ? 'n/a' : `${maxRssMB.toFixed(0)} MB`, `< ${TARGET_RSS_MB} MB`);
    return { rows: n, finished: outcome.finished, rowsDone: outcome.rowsDone, seconds: outcome.seconds, maxRssMB };
  } finally {
    await bench.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runRssScenario(Number(process.argv[2] ?? 100_000), Number(process.argv[3] ?? 150)).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
