/**
 * Child-process entry for the simulated providers. They run outside the
 * engine's process so their latencies are not stretched by the engine's own
 * CPU use, and the engine's peak RSS does not include their request log —
 * as with real providers, which live on other machines.
 *
 * Protocol (IPC): on start, sends { type: 'ready', url }. Answers
 * { type: 'log', from } with { type: 'log', requests, peakInflight } and
 * { type: 'close' } by closing the server and exiting.
 */
import { startSimServer, type SimProvider } from '../../api/demo/simServer.js';
import type { ParentMessage, ChildMessage } from './simProtocol.js';

const send = (msg: ChildMessage) => process.send?.(msg);

async function main(): Promise<void> {
  if (!process.send) throw new Error('simProcess.ts is meant to be forked by test/bench/sim.ts');
  const providers = JSON.parse(process.env.BENCH_SIM_PROVIDERS ?? '[]') as SimProvider[];
  const sim = await startSimServer(providers, { seed: 42 });
  // Nothing else keeps the child alive if the parent dies without saying close.
  process.on('disconnect', () => void sim.close().finally(() => process.exit(0)));
  process.on('message', (raw) => {
    const msg = raw as ParentMessage;
    if (msg.type === 'log') {
      send({ type: 'log', requests: sim.requests.slice(msg.from), peakInflight: Object.fromEntries(sim.peakInflight) });
    } else if (msg.type === 'close') {
      void sim.close().finally(() => process.exit(0));
    }
  });
  send({ type: 'ready', url: sim.url });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
