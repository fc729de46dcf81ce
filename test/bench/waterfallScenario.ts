import { seeded } from '../../api/demo/prng.js';
import type { JobView } from '../../shared/index.js';
import { analyseLog, meanLatencyMs, paidCalls, type LogFigures } from './analysis.js';
import { allOrders, cheapestPerGroup, MatchTable, tldOf } from './optimal.js';
import { figure, heading, num, out, table, usd } from './report.js';
import { elapsedSeconds, makeRows, startBench, type Bench, type BenchProvider, type Row } from './scenario.js';

export interface WaterfallScenario {
  title: string;
  providers: BenchProvider[];
  tlds: Record<string, number>;
  rows: number;
  /** Rows submitted as job 1, for the engine to learn from; the cost target applies to the rest. */
  warmup: number;
  /** Whether the cheapest order is taken per TLD (scenario B) or one order for all rows (scenario A). */
  optimumPerTld: boolean;
  seed: number;
}

const TARGET_THROUGHPUT_RATIO = 0.95;
const TARGET_COST_RATIO = 1.05;
const TARGET_CACHED_ROWS_PER_S = 20_000;

const qsOf = (rows: Row[]) => rows.map((r) => r.input.domain);

function printProviders(providers: BenchProvider[]): void {
  table(
    ['provider', 'match rate', 'latency p50/σ', 'mean ms', 'conc', 'rate/s', '$/call', '$/match'],
    providers.map((p) => [
      p.id,
      Object.entries(p.behaviour.matchRate)
        .map(([t, r]) => `${t}:${r}`)
        .join(' '),
      `${p.behaviour.latency.medianMs}/${p.behaviour.latency.sigma}`,
      meanLatencyMs(p).toFixed(1),
      String(p.behaviour.concurrency),
      String(p.behaviour.ratePerSecond),
      p.costPerCall.toFixed(3),
      p.costPerMatch.toFixed(3),
    ]),
  );
}

function printThroughput(label: string, rows: number, seconds: number, log: LogFigures): void {
  const rps = rows / seconds;
  figure(`${label}: rows/s`, `${num(rps)} (${num(rows)} rows in ${seconds.toFixed(2)} s)`);
  figure(`${label}: provider-limited bound`, `${num(log.bound)} rows/s (tightest: ${log.boundBy})`);
  figure(`${label}: ratio rows/s ÷ bound`, (rps / log.bound).toFixed(3), `>= ${TARGET_THROUGHPUT_RATIO}`);
}

function printProviderFigures(log: LogFigures, seconds: number, peaks: Record<string, number>, bench: Bench): void {
  table(
    ['provider', 'capacity/s', 'by', 'fraction', 'cap÷frac', 'requests', 'paid', '429', 'other', 'dups', 'paid/s', 'peak inflight', 'gate limit', 'congested'],
    log.providers.map((f) => {
      const gate = bench.cascade.engine.gates.get(f.id);
      return [
        f.id,
        num(f.capacity),
        f.capacityBy,
        f.fraction.toFixed(3),
        num(f.rowBound),
        num(f.requests),
        num(f.paid),
        num(f.rateLimited),
        num(f.other),
        num(f.duplicates),
        num(f.paid / seconds),
        String(peaks[f.id] ?? 0),
        String(gate?.concurrencyLimit ?? '?'),
        String(gate?.congestion ?? '?'),
      ];
    }),
  );
}

const countsLine = (v: JobView) =>
  Object.entries(v.counts)
    .filter(([k, n]) => n > 0 && k !== 'total')
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

export interface ScenarioResult {
  title: string;
  throughputRatio: number;
  duplicates: number;
  costRatio: number;
  cachedRowsPerSecond: number;
  rerunPaidCalls: number;
}

/**
 * One waterfall scenario through the real HTTP API: a warm-up job, the rest
 * of the rows as a second job in the same workspace (so the engine has
 * learned from the first), then all rows again as a third job, from cache.
 */
export async function runWaterfallScenario(s: WaterfallScenario): Promise<ScenarioResult> {
  heading(s.title);
  printProviders(s.providers);
  const rows = makeRows(s.rows, s.tlds, seeded(s.seed));
  const warm = rows.slice(0, s.warmup);
  const rest = rows.slice(s.warmup);
  const bench = await startBench(s.providers);
  try {
    const j1 = await bench.submit(warm);
    const v1 = await bench.waitDone(j1.id);
    const j2 = await bench.submit(rest);
    const v2 = await bench.waitDone(j2.id);
    const firstLog = await bench.sim.log();

    const all = new Set(qsOf(rows));
    const secondQs = qsOf(rest);
    const allSeconds = elapsedSeconds(j1.postedAt, v2);
    const job2Seconds = elapsedSeconds(j2.postedAt, v2);
    const allLog = analyseLog(s.providers, firstLog.requests, all);
    const job2Log = analyseLog(s.providers, firstLog.requests, new Set(secondQs));

    out(`\n  -- throughput (first run, nothing cached) --`);
    out(`  job 1: ${num(warm.length)} rows, ${countsLine(v1)}; job 2: ${num(rest.length)} rows, ${countsLine(v2)}`);
    printThroughput(`all ${num(rows.length)} rows (job 1 + job 2)`, rows.length, allSeconds, allLog);
    printThroughput(`job 2 alone (${num(rest.length)} rows)`, rest.length, job2Seconds, job2Log);
    out(`  per provider, all ${num(rows.length)} rows:`);
    printProviderFigures(allLog, allSeconds, firstLog.peakInflight, bench);
    figure('paid calls (sim answered 200/404)', num(allLog.paid));
    figure('duplicated paid calls (same provider+input)', num(allLog.duplicates), '0');
    figure('429s received', num(allLog.rateLimited));

    out(`\n  -- cost after the first ${num(s.warmup)} rows (job 2) --`);
    const tableAll = new MatchTable(s.providers, all);
    const orders = allOrders(tableAll, secondQs);
    const perTld = cheapestPerGroup(tableAll, secondQs, tldOf);
    const optimum = s.optimumPerTld ? perTld.cost : orders[0]!.cost;
    const measured = v2.costUsd;
    const n = secondQs.length;
    out(`  every fixed order over job 2's rows ($/row):`);
    for (const o of orders) out(`    ${o.order.join(' → ').padEnd(36)} ${usd(o.cost / n)}`);
    out(`  cheapest order per TLD over job 2's rows, and what the engine spent on them (from the sim log):`);
    table(
      ['tld', 'rows', 'cheapest order', 'optimum $/row', 'spent $/row', 'ratio'],
      perTld.groups.map((g) => {
        const qs = new Set(secondQs.filter((q) => tldOf(q) === g.group));
        const spent = analyseLog(s.providers, firstLog.requests, qs).costUsd;
        return [g.group, num(g.rows), g.best.order.join(' → '), usd(g.best.cost / g.rows), usd(spent / g.rows), (spent / g.best.cost).toFixed(3)];
      }),
    );
    const label = s.optimumPerTld ? 'cheapest order per TLD' : 'cheapest fixed order';
    figure(`job 2 cost/row (engine's job costUsd)`, usd(measured / n));
    figure(`job 2 cost/row (sim log × price list)`, usd(job2Log.costUsd / n));
    figure(`optimum cost/row (${label})`, usd(optimum / n));
    figure(`ratio measured ÷ optimum`, (measured / optimum).toFixed(3), `<= ${TARGET_COST_RATIO}`);
    figure(`job 1 (learning) cost/row, for reference`, `${usd(v1.costUsd / warm.length)} vs optimum ${usd((s.optimumPerTld ? cheapestPerGroup(tableAll, qsOf(warm), tldOf).cost : allOrders(tableAll, qsOf(warm))[0]!.cost) / warm.length)}`);

    out(`\n  -- rerun: the same ${num(rows.length)} rows as a new job (all cached) --`);
    const j3 = await bench.submit(rows);
    const v3 = await bench.waitDone(j3.id, { pollMs: 5, timeoutMs: 60_000 });
    const rerunLog = await bench.sim.log(firstLog.requests.length);
    const rerunSeconds = elapsedSeconds(j3.postedAt, v3);
    const cachedRps = rows.length / rerunSeconds;
    const rerunPaid = paidCalls(rerunLog.requests);
    out(`  job 3: ${countsLine(v3)}; cost ${usd(v3.costUsd)}`);
    figure('rerun rows/s (POST to done)', `${num(cachedRps)} (${rerunSeconds.toFixed(3)} s)`, `>= ${num(TARGET_CACHED_ROWS_PER_S)}`);
    figure('paid calls made by the rerun', num(rerunPaid), '0');
    const same = v3.counts.matched === v1.counts.matched + v2.counts.matched;
    figure('rerun matched rows = first run matched rows', same ? 'yes' : `no (${v3.counts.matched} vs ${v1.counts.matched + v2.counts.matched})`);

    return {
      title: s.title,
      throughputRatio: rest.length / job2Seconds / job2Log.bound,
      duplicates: allLog.duplicates,
      costRatio: measured / optimum,
      cachedRowsPerSecond: cachedRps,
      rerunPaidCalls: rerunPaid,
    };
  } finally {
    await bench.stop();
  }
}
