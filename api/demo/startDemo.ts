import { parseConfig } from '../config/load.js';
import { startCascade, type Cascade, type CascadeOptions } from '../server.js';
import { keysStore } from '../storage/keys.js';
import { demoConfig, demoSimProviders } from './demoProviders.js';
import { startSimServer } from './simServer.js';

/** The key of the embedded demo's workspace. It exists only in a demo: no configured API ever has it. */
export const DEMO_KEY = 'csk_demo_local_only';

/**
 * The embedded demo: simulated providers on loopback (labelled "demo"
 * wherever they show), the API configured for them, and DEMO_KEY for
 * workspace "default". What `npm start` and the preview run without a
 * configuration.
 */
export async function startDemo(opts: Omit<CascadeOptions, 'config' | 'bootstrapKey'>): Promise<Cascade> {
  const sim = await startSimServer(demoSimProviders());
  const cascade = await startCascade({ ...opts, config: parseConfig(demoConfig(sim.url), {}) });
  await keysStore(cascade.database.db).create('default', Date.now(), DEMO_KEY);
  return {
    ...cascade,
    async stop() {
      await cascade.stop();
      await sim.close();
    },
  };
}
