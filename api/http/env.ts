import type { Engine } from '../engine/engine.js';

export type AppEnv = { Variables: { workspace: string } };

/** What every route file receives: the engine to call, nothing else. */
export interface RouteDeps {
  engine: Engine;
}
