import type { ConnectionResult } from '../contract.js';
import type { Ctx } from './context.js';

/**
 * Says what is wrong, in order: no settings, the URL unreachable, the URL not
 * a Cascade API, the key refused. `/health` needs no key, so a wrong URL and a
 * wrong key are told apart.
 */
export function checkConnection(ctx: Ctx): ConnectionResult {
  try {
    const api = ctx.api();
    api.call('health', {});
    const metrics = api.call('metrics', { query: { window: '1h' } });
    const n = metrics.providers.length;
    return { ok: true, message: `Connected to ${api.url}: ${n} provider${n === 1 ? '' : 's'} configured.` };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}
