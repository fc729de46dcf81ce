/**
 * Child-process entry for the simulated providers, started by sim.ts. They
 * run apart from the engine so their latencies are not stretched by the
 * engine's CPU use and their request log is not in the engine's memory — as
 * with real providers, which live on other machines.
 */
import { startSimServer, type SimProvider } from '../../api/demo/simServer.js';
import { serveParent } from './ipc.js';
import type { SimReady, SimReply, SimRequestMsg } from './simProtocol.js';

async function main(): Promise<void> {
  const providers = JSON.parse(process.env.BENCH_SIM_PROVIDERS ?? '[]') as SimProvider[];
  const sim = await startSimServer(providers, { seed: 42 });
  const quit = () => void sim.close().finally(() => process.exit(0));
  // A parent that died without saying close must not leave this process behind.
  process.on('disconnect', quit);
  const ready: SimReady = { url: sim.url };
  serveParent<SimRequestMsg, SimReply>(ready, async (msg) => {
    if (msg.type === 'close') {
      setImmediate(quit);
      return null;
    }
    return { requests: sim.requests.slice(msg.from), peakInflight: Object.fromEntries(sim.peakInflight) };
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
