import { describe, expect, it } from 'vitest';
import { EngineConfigSchema } from '../config/schema.js';
import type { JobRecord } from '../storage/jobs/types.js';
import type { ClaimedRow } from '../storage/rows/claimRows.js';
import { systemClock } from './clock.js';
import { Runner, type RunnerStore } from './runner.js';

const job: JobRecord = { id: 'job_1', workspaceId: 'ws', fields: ['company.name'], status: 'running', maxCostUsd: null, costUsd: 0, createdAt: 0, finishedAt: null };
const tick = () => new Promise((r) => setImmediate(r));

/** One job of `rows` pending rows in memory, and every claim the runner makes. */
function storeOf(rows: number) {
  let next = 0;
  let done = false;
  const claims: { limit: number; got: number; inHand: number }[] = [];
  let inHand = 0;
  const store: RunnerStore = {
    activeJobs: async () => (done ? [] : [job]),
    claim: async (_job, limit) => {
      const got = Math.min(limit, rows - next);
      claims.push({ limit, got, inHand });
      const claimed: ClaimedRow[] = Array.from({ length: got }, (_, i) => ({ jobId: job.id, seq: next + i, key: `k${next + i}`, input: {}, state: null, attempts: 0 }));
      next += got;
      inHand += got;
      return claimed;
    },
    reclaimExpired: async () => 0,
    heartbeat: async () => {},
    finishJobIfDone: async () => (done = next === rows && inHand === 0),
  };
  return { store, claims, finished: () => done, release: () => inHand-- };
}

describe('Runner', () => {
  it('claims more as room frees while a job has due rows, and stops asking once it has none', async () => {
    const { store, claims, finished, release } = storeOf(30);
    const working: (() => void)[] = [];
    const runner = new Runner({
      store,
      processRow: () => new Promise<void>((resolve) => working.push(() => (release(), resolve()))),
      onError: (err) => { throw err; },
      // No poll during the test: every claim is one the runner chose to make.
      engine: EngineConfigSchema.parse({ maxInflightRows: 10, pollMs: 3_600_000, leaseMs: 3_600_000 }),
      clock: systemClock,
      workerId: 'w',
    });
    runner.start();
    // Rows finish one at a time, each with room for the runner to react.
    for (let i = 0; i < 200 && !finished(); i++) {
      await tick();
      await tick();
      working.shift()?.();
    }
    await runner.stop();
    expect(finished()).toBe(true);
    expect(claims.reduce((n, c) => n + c.got, 0)).toBe(30);
    // Once the rows ran out, only the last row's end (to see the job is done) may ask again.
    const afterDrain = claims.slice(claims.findIndex((c) => c.got < c.limit) + 1);
    expect(afterDrain.filter((c) => c.inHand > 0)).toEqual([]);
  });
});
