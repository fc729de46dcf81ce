/**
 * Child-process entry for the engine under test, started by cascadeClient.ts:
 * startCascade() on the sims' URL, one API key, nothing else. The benchmark
 * drives it over HTTP from the parent, whose own timers keep running when
 * this process's event loop stalls, and whose request building and polling
 * cost this process nothing. Its peak RSS is the engine's alone.
 */
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseConfig } from '../../api/config/load.js';
import { createLog } from '../../api/log.js';
import { startCascade } from '../../api/server.js';
import { keysStore } from '../../api/storage/keys.js';
import { rawConfig } from './benchConfig.js';
import type { CascadeReady, CascadeReply, CascadeRequest, CascadeSpec } from './cascadeProtocol.js';
import { serveParent } from './ipc.js';

const MB = 2 ** 20;

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.BENCH_CASCADE ?? 'null') as CascadeSpec | null;
  if (!spec) throw new Error('BENCH_CASCADE is not set');
  const cascade = await startCascade({
    config: parseConfig(rawConfig(spec.simUrl, spec.providers), {}),
    dbUrl: `file:${join(spec.dir, 'bench.db')}`,
    port: 0,
    host: '127.0.0.1',
    // BENCH_LOGGER=1: npm start's logger (pino, secrets scrubbed, the request scope), its lines discarded: what logging costs.
    log: process.env.BENCH_LOGGER === '1' ? createLog([], () => {}) : () => {},
  });
  const key = await keysStore(cascade.database.db).create(spec.workspace, Date.now());

  let loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const peak = { heapUsed: 0, heapTotal: 0, external: 0 };
  const sample = setInterval(() => {
    const m = process.memoryUsage();
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.heapTotal = Math.max(peak.heapTotal, m.heapTotal);
    peak.external = Math.max(peak.external, m.external);
  }, 250);
  sample.unref();

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(sample);
    await cascade.stop().catch((err: unknown) => console.error('cascade.stop failed:', err));
    process.exit(0);
  };
  process.on('disconnect', () => void stop());

  const ready: CascadeReady = { url: cascade.url, key };
  serveParent<CascadeRequest, CascadeReply>(ready, async (msg) => {
    if (msg.type === 'stop') {
      setImmediate(() => void stop());
      return null;
    }
    const gates = Object.fromEntries(
      cascade.engine.diagnostics.flow().map((f) => [f.provider, { concurrencyLimit: f.concurrencyLimit, congestion: f.congestion }]),
    );
    const stats = {
      gates,
      loop: { maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6 },
      memory: {
        maxRssMB: process.resourceUsage().maxRSS / 1024,
        peakHeapUsedMB: peak.heapUsed / MB,
        peakHeapTotalMB: peak.heapTotal / MB,
        peakExternalMB: peak.external / MB,
      },
    };
    if (msg.resetLoop) {
      loop.disable();
      loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
    }
    return stats;
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
