import type { SimProvider } from '../../api/demo/simServer.js';
import { forkTs } from './ipc.js';
import type { SimLog, SimReady, SimReply, SimRequestMsg } from './simProtocol.js';

export type { SimLog } from './simProtocol.js';

export interface RemoteSim {
  url: string;
  /** The sim's request log from index `from` on, and its peak in-flight requests per provider. */
  log(from?: number): Promise<SimLog>;
  close(): Promise<void>;
}

/** Starts the simulated providers in a child process (see simProcess.ts for why). */
export async function startRemoteSim(providers: SimProvider[]): Promise<RemoteSim> {
  const { ready, child } = await forkTs<SimReady, SimRequestMsg, SimReply>(
    new URL('./simProcess.ts', import.meta.url),
    { BENCH_SIM_PROVIDERS: JSON.stringify(providers) },
    20_000,
  );
  return {
    url: ready.url,
    async log(from = 0) {
      const res = await child.request({ type: 'log', from }, 60_000);
      if (!res) throw new Error('the sim process sent no log');
      return res;
    },
    async close() {
      await child.close({ type: 'close' }, 10_000);
    },
  };
}
