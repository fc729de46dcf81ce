import { describe, expect, it } from 'vitest';
import { EngineConfigSchema } from '../config/schema.js';
import type { ActiveJob } from '../storage/jobs.js';
import type { ClaimedRow } from '../storage/rows.js';
import { systemClock } from '../clock.js';
import { Runner, type RunnerStore } from './runner.js';

const job: ActiveJob = {
  due: true,
  open: true,
  id: 'job_1',
  workspaceId: 'ws',
  fields: ['company.name'],
  status: 'running',
  maxCostUsd: null,
  costUsd: 0,
  createdAt: 0,
  finishedAt: null,
  pipeline: null,
};
const tick = () => new Promise((r) => setImmediate(r));
/** A row's work ends: its count goes down, then its promise resolves (the order the runner sees it in). */
const finishWith = (release: () => void, resolve: () => void) => {
  release();
  resolve();
};

/** One job of `rows` pending rows in memory, and every claim the runner makes. */
function storeOf(rows: number) {
  let next = 0;
  let done = false;
  const claims: { limit: number; got: number; inHand: number }[] = [];
  let inHand = 0;
  const store: RunnerStore = {
    activeJobs: async () => (done ? [] : [{ ...job, due: next < rows, open: next < rows || inHand > 0 }]),
    claim: async (_job, limit) => {
      const got = Math.min(limit, rows - next);
      claims.push({ limit, got, inHand });
      const claimed: ClaimedRow[] = Array.from({ length: got }, (_, i) => ({
        jobId: job.id,
        seq: next + i,
        key: `k${next + i}`,
        input: {},
        state: null,
        attempts: 0,
        held: [],
      }));
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

/**
 * A runner over `store` with room for `room` rows, whose rows are held until
 * the test ends them one by one (`working`). No poll: every claim is one the
 * runner chose to make.
 */
function heldRows(store: RunnerStore, release: () => void, room = 10) {
  const working: (() => void)[] = [];
  const runner = new Runner({
    store,
    processRow: () => new Promise<void>((resolve) => working.push(() => finishWith(release, resolve))),
    onError: (err) => {
      throw err;
    },
    engine: EngineConfigSchema.parse({ maxInflightRows: room, pollMs: 3_600_000, leaseMs: 3_600_000 }),
    clock: systemClock,
    workerId: 'w',
  });
  return { runner, working };
}

/** A runner over `store` with room for 10 rows, jobs from a form urgent, and every row held until the test ends it (`held`). No poll. */
function formFirst(store: RunnerStore) {
  const held: (() => void)[] = [];
  const runner = new Runner({
    store,
    processRow: () => new Promise<void>((resolve) => held.push(resolve)),
    urgent: (j) => j.pipeline?.source === 'form',
    onError: (err) => {
      throw err;
    },
    engine: EngineConfigSchema.parse({ maxInflightRows: 10, pollMs: 3_600_000, leaseMs: 3_600_000 }),
    clock: systemClock,
    workerId: 'w',
  });
  return { runner, held };
}

describe('Runner', () => {
  it('claims more as room frees while a job has due rows, and stops asking once it has none', async () => {
    const { store, claims, finished, release } = storeOf(30);
    const { runner, working } = heldRows(store, release);
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

  it("takes a bulk job's first 50 rows alone, so its first requests leave after a small claim, and the rest at once after", async () => {
    const { store, claims, release } = storeOf(400);
    const { runner, working: held } = heldRows(store, release, 1000);
    runner.start();
    for (let i = 0; i < 50 && held.length < 400; i++) await tick();
    // No row finished in between: the second claim did not wait for one.
    expect(claims).toEqual([
      { limit: 50, got: 50, inHand: 0 },
      { limit: 950, got: 350, inHand: 50 },
    ]);
    for (const end of held.splice(0)) end();
    await runner.stop();
  });

  it('claims the first slice of a bulk job it is woken with at once, without waiting for a pass to read the jobs', async () => {
    const claims: { jobId: string; limit: number }[] = [];
    // The passes' looks at the jobs hang: a slice claimed is one the wake made. The first is let go at the end.
    const looks: ((jobs: ActiveJob[]) => void)[] = [];
    const loaded: { jobs: string[]; heldWhenRead: string[] }[] = [];
    const store: RunnerStore = {
      activeJobs: () => new Promise<ActiveJob[]>((resolve) => looks.push(resolve)),
      claim: async (jobId, limit) => {
        claims.push({ jobId, limit });
        return Array.from({ length: limit }, (_, i) => ({ jobId, seq: i, key: `k${i}`, input: {}, state: null, attempts: 0, held: [] }));
      },
      reclaimExpired: async () => 0,
      heartbeat: async () => {},
      finishJobIfDone: async () => false,
    };
    const working: (() => void)[] = [];
    const runner = new Runner({
      store,
      processRow: () => new Promise<void>((resolve) => working.push(resolve)),
      onJobsLoaded: (jobs, heldWhenRead) => loaded.push({ jobs: jobs.map((j) => j.id), heldWhenRead }),
      onError: (err) => {
        throw err;
      },
      engine: EngineConfigSchema.parse({ maxInflightRows: 1000, pollMs: 3_600_000, leaseMs: 3_600_000 }),
      clock: systemClock,
      workerId: 'w',
    });
    runner.start();
    for (let i = 0; i < 20 && looks.length === 0; i++) await tick();
    runner.wake(job);
    for (let i = 0; i < 20 && working.length < 50; i++) await tick();
    expect(claims).toEqual([{ jobId: job.id, limit: 50 }]);
    expect(working).toHaveLength(50);
    // Alone, the rest is the next pass's, asked for at once (it waits behind the one hanging).
    expect(looks).toHaveLength(1);
    // The pass's read began before the job existed: the job is not among those held when it was read, so the
    // engine does not take it for a job cancelled by another instance.
    looks[0]!([]);
    for (let i = 0; i < 20 && loaded.length === 0; i++) await tick();
    expect(loaded[0]).toEqual({ jobs: [], heldWhenRead: [] });
    expect(runner.heldJobs()).toEqual([job.id]);
    for (const end of working.splice(0)) end();
  });

  it('leaves a job whose first slice is on its way to that claim; a refused slice is tried again by a pass at once', async () => {
    const rowsOf = (n: number) => Array.from({ length: n }, (_, i) => ({ jobId: job.id, seq: i, key: `k${i}`, input: {}, state: null, attempts: 0, held: [] }));
    const claims: number[] = [];
    const errors: unknown[] = [];
    let visible = false;
    let outcome: 'hold' | 'refuse' = 'hold';
    let release: (() => void) | undefined;
    const store: RunnerStore = {
      activeJobs: async () => (visible ? [job] : []),
      claim: (_jobId, limit) => {
        claims.push(limit);
        if (claims.length > 1) return Promise.resolve([]);
        if (outcome === 'refuse') return Promise.reject(new Error('SQLite error: database is locked'));
        return new Promise((resolve) => (release = () => resolve(rowsOf(limit))));
      },
      reclaimExpired: async () => 0,
      heartbeat: async () => {},
      finishJobIfDone: async () => false,
    };
    const run = async () => {
      const working: (() => void)[] = [];
      const runner = new Runner({
        store,
        processRow: () => new Promise<void>((resolve) => working.push(resolve)),
        onError: (err) => errors.push(err),
        engine: EngineConfigSchema.parse({ maxInflightRows: 1000, pollMs: 3_600_000, leaseMs: 3_600_000 }),
        clock: systemClock,
        workerId: 'w',
      });
      runner.start();
      for (let i = 0; i < 20; i++) await tick();
      visible = true;
      runner.wake(job);
      return { runner, working };
    };

    // A pass that reads the job as due while its slice is out claims none of it beside the slice.
    const held = await run();
    held.runner.wake();
    for (let i = 0; i < 20; i++) await tick();
    expect(claims).toEqual([50]);
    release!();
    for (let i = 0; i < 20 && claims.length < 2; i++) await tick();
    // The slice came back full: the pass it asked for claims the rest.
    expect(claims).toEqual([50, 950]);
    for (const end of held.working.splice(0)) end();

    claims.length = 0;
    visible = false;
    outcome = 'refuse';
    const refused = await run();
    for (let i = 0; i < 20 && claims.length < 2; i++) await tick();
    expect(errors).toHaveLength(1);
    expect(claims).toEqual([50, 50]);
    for (const end of refused.working.splice(0)) end();
  });

  it('starts a big claim a slice per event-loop turn, so answers already in are read in between', async () => {
    const { store, release } = storeOf(400);
    const started: number[] = [];
    const finish: (() => void)[] = [];
    let turns = 0;
    let counting = true;
    // Stands for an answer waiting to be read: a callback of its own, run between turns, never within one.
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    const runner = new Runner({
      store,
      processRow: async () => {
        started.push(turns);
        await new Promise<void>((resolve) => finish.push(() => finishWith(release, resolve)));
      },
      onError: (err) => {
        throw err;
      },
      engine: EngineConfigSchema.parse({ maxInflightRows: 400, pollMs: 3_600_000, leaseMs: 3_600_000 }),
      clock: systemClock,
      workerId: 'w',
    });
    setImmediate(count);
    runner.start();
    while (started.length < 400) await new Promise((r) => setTimeout(r, 1));
    counting = false;
    for (const f of finish) f();
    await runner.stop();
    // Every row is started, and not all in the turn the first one was.
    expect(started).toHaveLength(400);
    expect(new Set(started).size).toBeGreaterThan(4);
    expect(started.filter((t) => t === started[0]).length).toBeLessThanOrEqual(50);
  });

  it('sees a job done when its rows finish while a claim is out (the count is read after the claim, not before)', async () => {
    const { store, finished, release } = storeOf(15);
    // The second claim is held until every row of the first has finished: a slow store (a remote server, a loaded disk).
    const claimsOut: (() => void)[] = [];
    let claimsMade = 0;
    const slowStore: RunnerStore = {
      ...store,
      claim: async (...args) => {
        if (claimsMade++ > 0) await new Promise<void>((resolve) => claimsOut.push(resolve));
        return store.claim(...args);
      },
    };
    const { runner, working } = heldRows(slowStore, release);
    runner.start();
    for (let i = 0; i < 100 && (working.length < 10 || claimsOut.length === 0); i++) {
      await tick();
      if (working.length === 10 && claimsOut.length === 0) for (let n = 0; n < 3; n++) working.shift()!();
    }
    expect(claimsOut).toHaveLength(1);
    while (working.length > 0) working.shift()!();
    await tick();
    claimsOut.shift()!();
    for (let i = 0; i < 100 && !finished(); i++) {
      await tick();
      working.shift()?.();
      claimsOut.shift()?.();
    }
    await runner.stop();
    expect(finished()).toBe(true);
  });

  it('makes no claim for a job with nothing due; sees whether it is done when nothing is open, or when its own last row of it ends', async () => {
    const claims: string[] = [];
    const finishChecks: string[] = [];
    // `other`: rows open elsewhere (another member's), none due. `mine`: one row, claimed once; the poll's read of it
    // stays "open" after that row ends, as a read from before the row's commit would be.
    let mineDue = true;
    const other = { ...job, id: 'job_other', due: false, open: true };
    const store: RunnerStore = {
      activeJobs: async () => [other, { ...job, id: 'job_mine', due: mineDue, open: true }],
      claim: async (jobId) => {
        claims.push(jobId);
        mineDue = false;
        return [{ jobId, seq: 0, key: 'k0', input: {}, state: null, attempts: 0, held: [] }];
      },
      reclaimExpired: async () => 0,
      heartbeat: async () => {},
      finishJobIfDone: async (jobId) => {
        finishChecks.push(jobId);
        return false;
      },
    };
    const { runner, held } = formFirst(store);
    runner.start();
    for (let i = 0; i < 20 && held.length === 0; i++) await tick();
    for (let i = 0; i < 5; i++) {
      runner.wake();
      await tick();
    }
    expect(claims).toEqual(['job_mine']);
    expect(finishChecks).toEqual([]);
    held[0]!();
    for (let i = 0; i < 20 && finishChecks.length === 0; i++) await tick();
    expect(finishChecks).toEqual(['job_mine']);
    // Once: later passes read it open again, and this runner holds nothing of it.
    for (let i = 0; i < 5; i++) {
      runner.wake();
      await tick();
    }
    expect(finishChecks).toEqual(['job_mine']);
    expect(claims).toEqual(['job_mine']);
    await runner.stop();
  });

  it('claims an urgent job (a form) first and within a reserve, while a bulk job holds every slot', async () => {
    const bulk = { ...job, id: 'job_bulk', createdAt: 0 };
    const form = { ...job, id: 'job_form', createdAt: 1, pipeline: { source: 'form', deliver: false, notify: false } };
    let formArrived = false;
    const claimed: string[] = [];
    const store: RunnerStore = {
      activeJobs: async () => (formArrived ? [bulk, form] : [bulk]),
      claim: async (jobId, limit) => {
        const n = jobId === bulk.id ? limit : Math.min(limit, 1);
        claimed.push(...Array.from({ length: n }, () => jobId));
        return Array.from({ length: n }, (_, i) => ({
          jobId,
          seq: claimed.length + i,
          key: `k${claimed.length + i}`,
          input: {},
          state: null,
          attempts: 0,
          held: [],
        }));
      },
      reclaimExpired: async () => 0,
      heartbeat: async () => {},
      finishJobIfDone: async () => false,
    };
    const { runner, held } = formFirst(store);
    runner.start();
    for (let i = 0; i < 20 && held.length < 10; i++) await tick();
    expect(claimed.filter((j) => j === bulk.id)).toHaveLength(10);
    // Every slot is the bulk job's; the form lead arrives and is claimed at the next pass, ahead of the bulk job.
    formArrived = true;
    runner.wake();
    for (let i = 0; i < 20 && held.length < 11; i++) await tick();
    expect(claimed.at(-1)).toBe(form.id);
    expect(held).toHaveLength(11);
    for (const r of held) r();
    await runner.stop();
  });

  it("claims a new urgent job's rows at once when woken with it, while a pass is held up, and checks a job's end beside the passes", async () => {
    const bulk = { ...job, id: 'job_bulk' };
    const form = { ...job, id: 'job_form', pipeline: { source: 'form', deliver: false, notify: false } };
    // The pass's look at the jobs is held (a bulk import's commit holding the database), as are finish checks.
    const passesHeld: (() => void)[] = [];
    const finishChecks: string[] = [];
    const checksOut: (() => void)[] = [];
    const claimed: string[] = [];
    const store: RunnerStore = {
      activeJobs: async () => {
        await new Promise<void>((resolve) => passesHeld.push(resolve));
        return [bulk];
      },
      claim: async (jobId, limit) => {
        const n = jobId === form.id ? Math.min(limit, 1) : 0;
        claimed.push(...Array.from({ length: n }, () => jobId));
        return Array.from({ length: n }, (_, i) => ({ jobId, seq: i, key: `k${i}`, input: {}, state: null, attempts: 0, held: [] }));
      },
      reclaimExpired: async () => 0,
      heartbeat: async () => {},
      finishJobIfDone: async (jobId) => {
        finishChecks.push(jobId);
        return new Promise<boolean>((resolve) => checksOut.push(() => resolve(false)));
      },
    };
    const { runner, held } = formFirst(store);
    runner.start();
    for (let i = 0; i < 20 && passesHeld.length === 0; i++) await tick();
    expect(passesHeld).toHaveLength(1);
    runner.wake(form);
    for (let i = 0; i < 20 && held.length === 0; i++) await tick();
    expect(claimed).toEqual([form.id]);
    expect(held).toHaveLength(1);
    // A bulk job's wake claims its first slice at once; with none due, it leaves the job to the pass, which finds
    // it drained, asks whether it is done and goes on.
    runner.wake(bulk);
    passesHeld.shift()!();
    for (let i = 0; i < 20 && passesHeld.length === 0; i++) await tick();
    expect(finishChecks).toEqual([bulk.id]);
    expect(passesHeld).toHaveLength(1);
    held.shift()!();
    const stopped = runner.stop();
    passesHeld.shift()!();
    // Stopping waits for the finish check still out.
    await tick();
    checksOut.shift()!();
    await stopped;
  });
});
