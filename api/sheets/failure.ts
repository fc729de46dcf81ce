import { cutText, storableText, type WriteBackErrorCode } from '../../shared/index.js';

export type FailureKind = 'quota' | 'transient' | 'unauthorized' | 'forbidden' | 'not_found' | 'grid' | 'rejected';

/** A Google refusal, sorted by what the writer does about it. Its message never carries a credential. */
export class SheetsFailure extends Error {
  override name = 'SheetsFailure';

  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }

  get code(): WriteBackErrorCode {
    const codes: Record<FailureKind, WriteBackErrorCode> = {
      quota: 'google_unavailable',
      transient: 'google_unavailable',
      unauthorized: 'google_unauthorized',
      forbidden: 'google_forbidden',
      not_found: 'sheet_not_found',
      grid: 'google_rejected',
      rejected: 'google_rejected',
    };
    return codes[this.kind];
  }

  /** Only the user can unblock these: writing stops until a resume or a fresh token. */
  get pauses(): boolean {
    return this.kind === 'forbidden' || this.kind === 'not_found' || this.kind === 'rejected';
  }
}

/** Google's text as the job's lastError may store and show it: no credential, storable (shared/text.ts), cut on a code point. */
const clean = (s: string) => storableText(cutText(s.replace(/(bearer\s+)\S+/gi, '$1[redacted]').replace(/ya29\.[\w.-]+/g, '[redacted]'), 300));

/** Sorts an error from googleapis (a GaxiosError) or the network. */
export function classify(err: unknown): SheetsFailure {
  if (err instanceof SheetsFailure) return err;
  const e = err as {
    status?: number;
    response?: { status?: number; data?: { error?: { message?: string; status?: string } } };
    code?: string;
    message?: string;
  };
  const status = e.response?.status ?? e.status;
  const google = e.response?.data?.error;
  const message = clean(google?.message ?? e.message ?? String(err));
  if (status === undefined || typeof status !== 'number') return new SheetsFailure('transient', `Google Sheets unreachable: ${clean(e.code ?? message)}`);
  if (status === 429) return new SheetsFailure('quota', `Google Sheets quota: ${message}`, status);
  if (status >= 500 || status === 408) return new SheetsFailure('transient', `Google Sheets answered ${status}: ${message}`, status);
  if (status === 401)
    return new SheetsFailure('unauthorized', 'Google refused the access token (expired or revoked); send a fresh one with PUT /v1/jobs/{id}/token', status);
  if (status === 403) return new SheetsFailure('forbidden', `Google denied access to the spreadsheet: ${message}`, status);
  if (status === 404) return new SheetsFailure('not_found', 'the spreadsheet was not found (deleted, or not shared with this account)', status);
  if (/exceeds grid limits/i.test(message)) return new SheetsFailure('grid', message, status);
  if (/unable to parse range|no grid with id/i.test(message)) return new SheetsFailure('not_found', `the tab is gone (deleted or renamed): ${message}`, status);
  return new SheetsFailure('rejected', `Google Sheets refused the request: ${message}`, status);
}
