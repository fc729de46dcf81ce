import type { Field, RowFlagCode, RowStatus } from '../../shared/index.js';
import type { FieldValues, Provider } from '../providers/types.js';
import { canRead } from './admit.js';
import type { Caller, StepContext, StepResult } from './caller.js';
import type { Clock } from '../clock.js';
import { jittered } from '../flow/backoff.js';
import { inputKey, type NormalizedInput } from './normalize.js';
import type { Ranking } from './order.js';
import type { RowState } from './rowState.js';
import type { Stats } from './stats.js';
import type { InputKind } from '../../shared/index.js';

export interface WaterfallDeps {
  providers: Provider[];
  caller: Caller;
  stats: Stats;
  ranking: Ranking;
  clock: Clock;
  retryDelaysMs: number[];
  random: () => number;
}

export interface RowWork {
  input: NormalizedInput;
  kinds: Set<InputKind>;
  fields: Field[];
  state: RowState;
  ctx: StepContext;
  /** The job asked for predicted values where no data provider finds one. */
  predict?: boolean;
}

export type RowOutcome = ({ kind: 'done' } & Verdict) | { kind: 'budget_exhausted' } | { kind: 'retry'; at: number } | { kind: 'cancelled' };

/**
 * A row's steps, one straight path (over the providers not in `exclude`): plan the next step (the providers that
 * could still fill a missing field, best first); take what the cache already
 * holds for them (free); otherwise run the step, where Caller.step does the
 * rest in order (a purchase already under way, flow control, budget, the
 * request, the answer committed before anyone uses it); then decide (apply
 * the answer, or stop for budget, cancel or a retry). Everything the loop
 * needs is below it in this file, in that order; only the call itself is in
 * caller.ts.
 */
export async function runWaterfall(deps: WaterfallDeps, work: RowWork, exclude?: ReadonlySet<string>): Promise<RowOutcome> {
  for (;;) {
    const list = candidates(deps, work, exclude);
    const next = list[0];
    if (!next) return { kind: 'done', ...verdict(work.state, work.fields, deps.providers) };
    if (await takeFreeAnswers(deps, work, list)) continue;
    const stop = decide(deps, work, next, await stepFor(deps, work, next, true), true);
    if (stop) return stop;
  }
}

// ---- 1. plan ----

/** Providers that could still fill a missing field of this row, best first. */
export function candidates(deps: WaterfallDeps, work: RowWork, exclude?: ReadonlySet<string>): Provider[] {
  const missing = missingFields(work.state, work.fields);
  if (missing.length === 0) return [];
  const usable = deps.ranking
    .order(work.ctx.workspace, work.ctx.segment)
    .filter((p) => !work.state.answered.includes(p.id) && !work.state.failed[p.id] && canRead(p, work) && p.fields.some((f) => missing.includes(f)));
  // Predictions come last: only once every data provider that could still answer has (in flight counts as could).
  const data = usable.filter((p) => !p.predictive);
  const asked = data.length > 0 ? data : work.predict ? usable : [];
  return exclude ? asked.filter((p) => !exclude.has(p.id)) : asked;
}

/** The cache key of a provider's answer for this row: the inputs it reads, and its prompt version if it has one. */
export function keyFor(work: Pick<RowWork, 'input'>, p: Provider): string {
  const key = inputKey(p.inputs, work.input);
  return p.cacheVersion ? withCacheVersion(key, p) : key;
}

/** An input key made the key of this provider's answers: a new prompt version is a new answer. */
export const withCacheVersion = (inputKey: string, p: Provider) => `${inputKey}|prompt=${p.cacheVersion}`;

// ---- 2. the cache: answers already bought ----

/**
 * Applies every answer the candidates have already given for this input (cost
 * 0, in rank order) and says whether there was any. Called before buying:
 * a rerun must not buy from one provider what another already answered for free.
 */
export async function takeFreeAnswers(deps: WaterfallDeps, work: RowWork, list: Provider[]): Promise<boolean> {
  return applyFreeAnswers(deps, work, list, await Promise.all(list.map((p) => deps.caller.lookup(p, keyFor(work, p), work.ctx))));
}

/** `found[i]`: the free answer of `list[i]`, if there is one. */
export function applyFreeAnswers(deps: WaterfallDeps, work: RowWork, list: Provider[], found: (StepResult | undefined)[]): boolean {
  let took = false;
  list.forEach((p, i) => {
    const answer = found[i];
    if (answer) {
      decide(deps, work, p, answer, false);
      took = true;
    }
  });
  return took;
}

// ---- 3. run the step (flow control, budget, call, commit: Caller.step) ----

/** The provider's answer for this row: free if already bought, else bought (caller.ts). `looked`: the cache was just read. */
export function stepFor(deps: WaterfallDeps, work: RowWork, p: Provider, looked = false): Promise<StepResult> {
  return deps.caller.step(p, work.input, keyFor(work, p), work.ctx, looked);
}

// ---- 4. decide ----

/**
 * Decide: applies one step's result to the row. Returns an outcome when the
 * row must stop here (budget, cancel, a retry to schedule), or undefined to go on.
 */
export function decide(deps: WaterfallDeps, work: RowWork, p: Provider, res: StepResult, retries: boolean): RowOutcome | undefined {
  switch (res.kind) {
    case 'answer':
      applyAnswer(work.state, p, res.values, res.fetchedAt, res.cached, work.fields, res.confidence);
      return undefined;
    case 'budget_exhausted':
    case 'cancelled':
      return { kind: res.kind };
    case 'failed': {
      const attempt = (work.state.attempts[p.id] ?? 0) + 1;
      const delay = deps.retryDelaysMs[attempt - 1];
      if (res.transient && retries && delay !== undefined) {
        work.state.attempts[p.id] = attempt;
        return { kind: 'retry', at: deps.clock.now() + jittered(delay, deps.random) };
      }
      work.state.failed[p.id] = { code: res.code, message: res.message };
      return undefined;
    }
  }
}

// ---- what an answer does to the row, and the row's verdict at the end ----

const MAX_LIST = 100;

/** Fields no data provider has found: empty, or only predicted. */
export const missingFields = <F extends Field>(state: RowState, fields: readonly F[]): F[] =>
  fields.filter((f) => state.values[f] === undefined || state.provenance[f]?.predicted);

/**
 * Takes from an answer only the fields still missing: a found value is never
 * overwritten (lists are merged), a prediction never replaces anything, and a
 * found value does replace a prediction (a retried data provider beats a guess).
 */
export function applyAnswer(
  state: RowState,
  provider: Provider,
  values: FieldValues,
  fetchedAt: number,
  cached: boolean,
  fields: readonly Field[],
  confidence?: Partial<Record<Field, number>>,
): void {
  state.answered.push(provider.id);
  delete state.attempts[provider.id];
  for (const f of fields) {
    const v = values[f];
    const had = state.values[f];
    // Lists (a tech stack) add up across data providers: each sees different signs. Provenance stays with the first.
    if (Array.isArray(v) && Array.isArray(had) && !provider.predictive && !state.provenance[f]?.predicted) {
      state.values[f] = [...new Set([...had, ...v])].slice(0, MAX_LIST);
      continue;
    }
    if (v === undefined || !(had === undefined || (!provider.predictive && state.provenance[f]?.predicted))) continue;
    state.values[f] = v;
    state.provenance[f] = provider.predictive
      ? { provider: provider.id, fetchedAt, cached, predicted: true, confidence: confidence?.[f] ?? 0 }
      : { provider: provider.id, fetchedAt, cached };
  }
}

export interface Verdict {
  status: Extract<RowStatus, 'matched' | 'partial' | 'no_match' | 'failed'>;
  error?: { code: RowFlagCode; message: string };
}

/**
 * A row whose missing fields some provider could still have supplied, had it
 * not failed, is `failed` (and retryable) even if other fields were found.
 */
export function verdict(state: RowState, fields: readonly Field[], providers: readonly Provider[]): Verdict {
  const missing = missingFields(state, fields);
  if (missing.length === 0) return { status: 'matched' };
  const blocking = providers.find((p) => state.failed[p.id] && p.fields.some((f) => missing.includes(f)));
  if (blocking) return { status: 'failed', error: state.failed[blocking.id]! };
  return { status: missing.length < fields.length ? 'partial' : 'no_match' };
}
