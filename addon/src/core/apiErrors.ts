import { ApiErrorBodySchema, type RequestErrorCode } from '../../../shared/index.js';

/** An error whose message is meant for the person in front of the sheet; `code` is the API's request code, when the API answered with one. */
export class AddonError extends Error {
  override name = 'AddonError';

  constructor(
    message: string,
    readonly code?: RequestErrorCode,
    readonly path?: string,
  ) {
    super(message);
  }
}

const HINTS: Partial<Record<RequestErrorCode, string>> = {
  unauthorized: 'The Cascade API refused the API key. Paste a valid key in Settings.',
  payload_too_large: 'The Cascade API refused a batch as too large; lower the batch size in the add-on settings.',
  storage_busy: "The Cascade API's database is busy; try again in a moment.",
  internal: 'The Cascade API had an internal error; try again in a moment.',
  pipeline_not_configured:
    'This workspace has no lead pipeline configured, so the Qualify fields cannot be filled: untick them, or ask whoever runs the Cascade API to configure one.',
};

/**
 * Turns an API answer that is not a success into one readable sentence: the
 * API's own message and where in the request it applies, or, when the body is
 * not the API's error shape, what the status means for this URL.
 */
export function describeApiError(status: number, body: string, url: string): AddonError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const api = ApiErrorBodySchema.safeParse(parsed);
  if (api.success) {
    const { code, message, path } = api.data.error;
    const hint = HINTS[code];
    const text = hint ?? `The Cascade API said: ${message}${path ? ` (at ${path})` : ''}.`;
    return new AddonError(text, code, path);
  }
  if (status === 404 || status === 405) {
    return new AddonError(
      `${url} answered HTTP ${status} and is not a Cascade API endpoint. Check the API URL in Settings (the address the API prints when it starts).`,
    );
  }
  if (status === 401 || status === 403) return new AddonError(`${url} refused the request (HTTP ${status}). Check the API key in Settings.`);
  if (status === 429) return new AddonError('The Cascade API is busy (HTTP 429); try again in a minute.');
  if (status >= 500) return new AddonError(`The Cascade API is unavailable (HTTP ${status}); try again in a minute.`);
  return new AddonError(`Unexpected answer from ${url}: HTTP ${status}.`);
}

/** UrlFetchApp throws for DNS failures, refused connections and timeouts; this says which URL and what to check. */
export function describeFetchFailure(url: string, err: unknown): AddonError {
  const detail = String(err instanceof Error ? err.message : err).replace(/^Exception:\s*/, '');
  return new AddonError(
    `Could not reach the Cascade API at ${url} (${detail}). Check the API URL in Settings and that the API is running and reachable from Google.`,
  );
}
