import type { CascadeService } from '../engine/service.js';

export type AppEnv = { Variables: { workspace: string } };

/** What every route file receives: the engine's service to call, nothing else. */
export interface RouteDeps {
  service: CascadeService;
}
