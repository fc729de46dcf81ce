import type { z } from 'zod';
import { AddonError, describeApiError, describeFetchFailure } from '../core/apiErrors.js';
import type { Gas, GasFetchOptions } from './gas.js';
import type { Settings } from './settings.js';

export interface ApiClient {
  readonly url: string;
  get<S extends z.ZodType>(path: string, schema: S): z.infer<S>;
  send<S extends z.ZodType>(method: 'post' | 'put', path: string, body: unknown, schema: S, headers?: Record<string, string>): z.infer<S>;
  /** Many requests at once (UrlFetchApp.fetchAll); each answer parsed, or the readable error it came to. */
  sendAll<S extends z.ZodType>(path: string, bodies: unknown[], schema: S): (z.infer<S> | AddonError)[];
}

/**
 * The Cascade API through UrlFetchApp: the key from user properties as a
 * bearer token, muteHttpExceptions so a 4xx is read rather than thrown, and
 * every answer checked against the shared schema before the add-on uses it.
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
    let res;
    try {
      res = gas.UrlFetchApp.fetch(url, opts);
    } catch (err) {
      throw describeFetchFailure(base, err);
    }
    return read(url, res.getResponseCode(), res.getContentText(), schema);
  };
  return {
    url: base,
    get: (path, schema) => call(path, options('get'), schema),
    send: (method, path, body, schema, headers) => call(path, options(method, body, headers), schema),
    sendAll(path, bodies, schema) {
      const url = base + path;
      let responses;
      try {
        responses = gas.UrlFetchApp.fetchAll(bodies.map((b) => ({ url, ...options('post', b) })));
      } catch (err) {
        const failure = describeFetchFailure(base, err);
        return bodies.map(() => failure);
      }
      return responses.map((res) => {
        try {
          return read(url, res.getResponseCode(), res.getContentText(), schema);
        } catch (err) {
          return err instanceof AddonError ? err : new AddonError(String(err));
        }
      });
    },
  };
}
