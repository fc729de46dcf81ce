import { createRoute } from '@hono/zod-openapi';
import { ROUTES } from '../../../shared/index.js';
import { createRouter, jsonResponse } from '../router.js';

const { method, path, response } = ROUTES.health;
const route = createRoute({ method, path, summary: 'Liveness; no key needed', responses: { 200: jsonResponse('Up', response) } });

export const health = () => createRouter().openapi(route, (c) => c.json({ ok: true as const }, 200));
