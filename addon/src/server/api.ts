import type { z } from 'zod';
import { ROUTES, routeUrl, type RouteName, type RouteRequest, type RouteResponse } from '../../../shared/index.js';
import { AddonError, describeApiError, describeFetchFailure } from '../core/apiErrors.js';
import type { Gas, GasFetchOptions, GasHttpResponse } from './gas.js';
import type { Settings } from './settings.js';

export interface ApiClient {
  readonly url: string;
  /** One route of the contract (shared/routes.ts): its parameters, query and body in, its checked answer out. */
  call<N extends RouteName>(name: N, request: RouteRequest<N>, headers?: Record<string, string>): RouteResponse<N>;
  /** Many requests to one route at once (UrlFetchApp.fetchAll); each answer checked, or the readable error it came to. */
  callAll<N extends RouteName>(name: N, requests: RouteRequest<N>[]): (RouteResponse<N> | AddonError)[];
}

/**
 * The Cascade API through UrlFetchApp, typed from the same contract the API
 * is built from: the key from user properties as a bearer token,
 * muteHttpExceptions so a 4xx is read rather than thrown, and every answer
 * checked against the route's response schema before the add-on uses it.
 */
export function apiClient(gas: Gas, settings: Settings): ApiClient {
  const base = settings.apiUrl;
  const options = (method: GasFetchOptions['method'], body?: unknown, headers: Record<string, string> = {}): GasFetchOptions => ({
    method,
    headers: { authorization: `Bearer ${settings.apiKey}`, ...headers },
    muteHttpExceptions: true,
    ...(body === undefined ? {} : { contentType: 'application/json', payload: JSON.stringify(body) }),
  });
  const read = <S extends z.ZodType>(url: string, status: number, text: string, schema: S): z.infer<S> => {
    if (status < 200 || status >= 300) throw describeApiError(status, text, url);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AddonError(`${url} answered HTTP ${status} but not with JSON; check the API URL in Settings.`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new AddonError(`${url} answered in a shape this add-on does not know; the API and the add-on may be different versions.`);
    return parsed.data;
  };
  const call = <S extends z.ZodType>(path: string, opts: GasFetchOptions, schema: S): z.infer<S> => {
    const url = base + path;
    let res: GasHttpResponse;
    try {
      res = gas.UrlFetchApp.fetch(url, opts);
    } catch (err) {
      throw describeFetchFailure(base, err);
    }
    return read(url, res.getResponseCode(), res.getContentText(), schema);
  };
  const bodyOf = (request: unknown) => (request as { body?: unknown }).body;
  // TypeScript cannot follow `name` from ROUTES[name] to RouteResponse<N> through an indexed access; the entry is that schema.
  const responseOf = <N extends RouteName>(name: N) => ROUTES[name].response as unknown as z.ZodType<RouteResponse<N>>;
  return {
    url: base,
    call: (name, request, headers) => call(routeUrl(name, request), options(ROUTES[name].method, bodyOf(request), headers), responseOf(name)),
    callAll(name, requests) {
      const urls = requests.map((r) => base + routeUrl(name, r));
      let responses: GasHttpResponse[];
      try {
        responses = gas.UrlFetchApp.fetchAll(requests.map((r, i) => ({ url: urls[i]!, ...options(ROUTES[name].method, bodyOf(r)) })));
      } catch (err) {
        const failure = describeFetchFailure(base, err);
        return requests.map(() => failure);
      }
      return responses.map((res, i) => {
        try {
          return read(urls[i]!, res.getResponseCode(), res.getContentText(), responseOf(name));
        } catch (err) {
          return err instanceof AddonError ? err : new AddonError(String(err));
        }
      });
    },
  };
}
