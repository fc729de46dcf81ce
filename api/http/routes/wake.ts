import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { validator } from 'hono/validator';
import { WAKE_PATH, WakeSchema, type Wake } from '../../../shared/index.js';
import type { WakeVerdict } from '../../engine/peerWakes.js';
import { CascadeError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { validationHook } from '../errors.js';

/** A wake is under 300 bytes; anything much larger is not one. */
const MAX_BYTES = 2048;

/**
 * `POST /internal/wake`: another member of the cluster says the jobs changed
 * (api/engine/peerWakes.ts). Outside /v1 and the OpenAPI contract: API keys
 * do not open it, the cluster's signature does.
 */
export function wake(accept: (w: Wake) => WakeVerdict) {
  const tooLarge = () => {
    throw new CascadeError('payload_too_large', `a wake is under ${MAX_BYTES} bytes`);
  };
  return new Hono<AppEnv>().post(
    WAKE_PATH,
    bodyLimit({ maxSize: MAX_BYTES, onError: tooLarge }),
    validator('json', (value, c) => {
      const parsed = WakeSchema.safeParse(value);
      return validationHook({ ...parsed, target: 'json' }, c) ?? parsed.data!;
    }),
    (c) => {
      const verdict = accept(c.req.valid('json'));
      if (!verdict.woken) throw new CascadeError('unauthorized', verdict.why);
      return c.body(null, 204);
    },
  );
}
