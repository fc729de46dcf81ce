import { hc } from 'hono/client';
import type { AppType } from './app.js';

/**
 * A client typed from the app's chained routes: every path, parameter, body
 * and answer checked by the compiler. For the demo and the tests; the
 * add-on, on UrlFetchApp, has its own client typed from the same contract
 * (shared/routes.ts).
 */
export const cascadeClient = (baseUrl: string, key?: string) => hc<AppType>(baseUrl, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } });

export type CascadeClient = ReturnType<typeof cascadeClient>;
