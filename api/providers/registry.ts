import type { Config } from '../config/schema.js';
import { httpProvider, type HttpProviderDeps } from './http/provider.js';
import type { Provider } from './types.js';

/** Builds the configured providers; one branch per provider kind. */
export function buildProviders(config: Config, deps: HttpProviderDeps): Provider[] {
  return config.providers.map((p) => {
    switch (p.kind) {
      case 'http':
        return httpProvider(p, deps);
    }
  });
}
