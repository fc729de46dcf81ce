import { AnswerBrokenError } from '../net/httpClient.js';
import type { Deadline } from './deadline.js';
import type { CallResult } from './types.js';

/**
 * The outcome of a request that brought no whole answer: past the provider's
 * time limit, broken off after it began, or never reached. All are worth
 * another try later.
 */
export function noAnswer(name: string, err: unknown, limit: Deadline, timeoutMs: number): CallResult {
  const broken = err instanceof AnswerBrokenError;
  if (limit.expired)
    return { kind: 'transient', code: 'provider_timeout', message: `${name} did not ${broken ? 'finish its answer' : 'answer'} within ${timeoutMs} ms` };
  if (broken) return { kind: 'transient', code: 'provider_unavailable', message: `${name} broke off its answer` };
  // The message of a network error may carry the URL, and with it a key in a query parameter: say only what kind it was.
  const code = (err as { cause?: { code?: string } }).cause?.code ?? 'network error';
  return { kind: 'transient', code: 'provider_unavailable', message: `${name} could not be reached (${code})` };
}
