import { createHash } from 'node:crypto';
import { leadId, type FieldValue, type LeadField, type LeadStepName, type RowFlagCode, type RowStatus } from '../../../shared/index.js';
import type { Clock } from '../../clock.js';
import { jittered } from '../../flow/backoff.js';
import { checkpointedRows, journalledSteps, type LeadsStore } from '../../storage/leads.js';
import type { Journal } from '../../storage/journal.js';
import type { LeadRunState } from '../rowState.js';
import type { RowOutcome } from '../waterfall.js';
import { identityOf } from './identity.js';
import { AFTER_ENRICH, type Lead, type StepDeps, type StepEnd } from './steps.js';

export interface LeadRunnerDeps extends StepDeps {
  leads: LeadsStore;
  journal: Journal;
  clock: Clock;
  workerId: string;
  retryDelaysMs: readonly number[];
  random: () => number;
}

/** How a run hands its row back: finished, or released to run again at `runAt`. Both write the lead's state under the row's lease. */
export interface RowEnd {
  complete(status: RowStatus, error?: { code: RowFlagCode; message: string }): Promise<void>;
  release(runAt: number, countAttempt: boolean): Promise<void>;
}

const DAY = 86_400_000;
/** How long a duplicate waits before looking again at an earlier run of its lead that is still going. */
const DUPLICATE_WAIT_MS = 1000;
/** Outputs larger than this are journalled as their hash and size. */
const OUTPUT_MAX = 2048;

function auditOutput(output: unknown): unknown {
  if (output === undefined) return null;
  const text = JSON.stringify(output);
  return text.length <= OUTPUT_MAX ? output : { sha256: createHash('sha256').update(text).digest('hex'), bytes: Buffer.byteLength(text) };
}

/**
 * A lead's run: one checkpointed step after another, dedup, enrich (the
 * waterfall), then score, qualify, route, deliver, notify. A step that ended
 * done or skipped goes into the row's checkpoint as it ends, and once that is
 * committed it is never run again, whether the run resumes after a retry, a
 * replay or a crash; each attempt of each step is journalled with it. A
 * failed step either comes back after the engine's retry delays (transient)
 * or flags the row with the step's error, for a retry or replay to resume at.
 *
 * The next step does not wait for that commit (under a bulk import, a wait
 * per step cost a form's lead some 400 ms). Invariant that makes it safe:
 * every step gives the same result, and sends nothing again, when a crash
 * lands before its checkpoint commits and it runs a second time. Dedup and
 * route read back what their first run stored (the identity's holder, the
 * lead's turn); score is pure; enrich and qualify find the answers they bought
 * in the cache, committed before they were used; deliver and notify enqueue
 * effects keyed by lead, step and target, which the outbox sends once.
 */
export function leadRunner(deps: LeadRunnerDeps) {
  const { journal, clock, workerId } = deps;

  return async function runLead(lead: Lead, enrich: () => Promise<RowOutcome>, end: RowEnd): Promise<void> {
    const run: LeadRunState = (lead.state.run ??= { steps: {}, attempts: {} });
    let started = clock.now();
    const begin = (step: LeadStepName) => {
      started = clock.now();
      return (run.attempts[step] = (run.attempts[step] ?? 0) + 1);
    };
    /**
     * Journals the attempt and, with it, the checkpoint the run stands at now.
     * Not waited for: the next commit takes it, and the run's end (complete or
     * release, written after it through the same journal) commits after it.
     */
    const record = (step: LeadStepName, attempt: number, e: Exclude<StepEnd, { outcome: 'stop' }>): void => {
      const at = clock.now();
      void journal.write(journalledSteps, {
        jobId: lead.jobId,
        seq: lead.seq,
        step,
        attempt,
        outcome: e.outcome,
        at,
        durationMs: at - started,
        costUsd: e.outcome === 'failed' ? 0 : (e.costUsd ?? 0),
        by: e.by ?? null,
        output: auditOutput(e.output),
        judgement: e.outcome !== 'failed' && e.judgement === true,
        errorCode: e.outcome === 'failed' ? e.code : null,
        errorMessage: e.outcome === 'failed' ? e.message : null,
      });
      void journal.write(checkpointedRows, { jobId: lead.jobId, seq: lead.seq, workerId, state: lead.state, at });
    };
    const fail = (step: LeadStepName, error: { code: RowFlagCode; message: string }) => {
      run.failedStep = step;
      return end.complete('failed', error);
    };

    // 1. Dedup: the first run of this identity in the window holds it; a later one answers with its result.
    if (!run.steps.dedup) {
      const attempt = begin('dedup');
      const identity = identityOf(lead.input);
      if (identity) {
        const now = clock.now();
        const holder = await deps.leads.claimIdentity(lead.workspace, identity, lead.jobId, lead.seq, now, now - lead.pipeline.config.dedupDays * DAY);
        if (holder.jobId !== lead.jobId || holder.seq !== lead.seq) {
          if (holder.status === 'pending' || holder.status === 'running') return end.release(clock.now() + DUPLICATE_WAIT_MS, false);
          const earlier = leadId(holder.jobId, holder.key);
          if (holder.status === 'failed' || holder.status === 'budget_exhausted') {
            // Not a result to answer with: the duplicate stays unchecked at dedup, so a retry or replay looks again
            // (and answers with the earlier run's result once that run is through). Never run as a lead of its own:
            // its effects would be the earlier run's, sent twice.
            const error = {
              code: (holder.errorCode ?? 'internal') as RowFlagCode,
              message: `a duplicate of ${earlier}, which stopped: ${holder.errorMessage ?? ''}`,
            };
            record('dedup', attempt, { outcome: 'failed', ...error, transient: false, by: 'dedup' });
            return fail('dedup', error);
          }
          lead.state.values = { ...holder.state?.values, 'lead.duplicateOf': earlier };
          lead.state.provenance = { ...holder.state?.provenance, 'lead.duplicateOf': { provider: 'dedup', fetchedAt: now, cached: false } };
          run.steps.dedup = { outcome: 'done', output: { duplicateOf: earlier } };
          record('dedup', attempt, { outcome: 'done', output: { duplicateOf: earlier }, by: 'dedup' });
          const error = holder.errorCode
            ? { code: holder.errorCode as RowFlagCode, message: `a duplicate of ${earlier}: ${holder.errorMessage ?? ''}` }
            : undefined;
          return end.complete(holder.status, error);
        }
      }
      run.steps.dedup = identity ? { outcome: 'done', output: { first: true } } : { outcome: 'skipped', output: { why: 'no email, nor domain and name' } };
      record('dedup', attempt, { ...run.steps.dedup, by: 'dedup' });
    }

    // 2. Enrich: the cached waterfall, which checkpoints each answer it buys in the row's state itself.
    if (!run.steps.enrich) {
      const attempt = begin('enrich');
      const outcome = await enrich();
      switch (outcome.kind) {
        case 'retry':
          record('enrich', attempt, {
            outcome: 'failed',
            code: 'provider_unavailable',
            message: 'a provider failed for now; tried again later',
            transient: true,
          });
          return end.release(outcome.at, true);
        case 'cancelled':
          return end.release(clock.now(), false);
        case 'budget_exhausted':
          return fail('enrich', { code: 'budget_exhausted', message: "the next call could pass the job's cost cap; retry with a higher maxCostUsd" });
        case 'done': {
          if (outcome.status === 'failed' && outcome.error) {
            record('enrich', attempt, { outcome: 'failed', ...outcome.error, transient: false, by: 'waterfall' });
            return fail('enrich', outcome.error);
          }
          run.enriched = { status: outcome.status, ...(outcome.error ? { error: outcome.error } : {}) };
          const found = Object.keys(lead.state.values).filter((f) => !f.startsWith('lead.')).length;
          run.steps.enrich = { outcome: 'done', output: { status: outcome.status, fieldsFound: found, providers: lead.state.answered } };
          record('enrich', attempt, { ...run.steps.enrich, by: lead.state.answered.join(', ') || 'cache' });
        }
      }
    }

    // 3–7. Score, qualify, route, deliver, notify: each skipped when not configured.
    for (const [step, fn] of AFTER_ENRICH) {
      if (run.steps[step]) continue;
      const attempt = begin(step);
      const e = await fn(deps, lead);
      if (e.outcome === 'stop') {
        if (e.kind === 'cancelled') return end.release(clock.now(), false);
        return fail(step, { code: 'budget_exhausted', message: "the next call could pass the job's cost cap; retry with a higher maxCostUsd" });
      }
      if (e.outcome === 'failed') {
        record(step, attempt, e);
        const delay = deps.retryDelaysMs[attempt - 1];
        if (e.transient && delay !== undefined) return end.release(clock.now() + jittered(delay, deps.random), true);
        return fail(step, { code: e.code, message: e.message });
      }
      const now = clock.now();
      for (const [f, v] of Object.entries(e.values ?? {}) as [LeadField, FieldValue][]) {
        lead.state.values[f] = v;
        lead.state.provenance[f] = { provider: e.by ?? step, fetchedAt: now, cached: false, ...(e.judgement ? { predicted: true as const } : {}) };
      }
      run.steps[step] = { outcome: e.outcome, output: e.output };
      record(step, attempt, e);
    }
    delete run.failedStep;
    const verdict = run.enriched ?? { status: 'matched' as const };
    return end.complete(verdict.status, verdict.error);
  };
}
