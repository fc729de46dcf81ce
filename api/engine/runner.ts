import type { EngineConfig } from '../config/schema.js';
import type { ClaimedRow, ClaimSpread } from '../storage/rows.js';
import type { ActiveJob, JobRecord } from '../storage/jobs.js';
import type { Clock } from '../clock.js';
import { SerialTask } from './serialTask.js';

/** What the runner may do to the database; it never writes SQL itself. */
export interface RunnerStore {
  activeJobs(now: number): Promise<ActiveJob[]>;
  claim(jobId: string, limit: number, workerId: string, lockedUntil: number, now: number, spread?: ClaimSpread): Promise<ClaimedRow[]>;
  reclaimExpired(now: number, deadWorkers?: readonly string[]): Promise<number>;
  heartbeat(jobIds: string[], workerId: string, lockedUntil: number): Promise<void>;
  finishJobIfDone(jobId: string, now: number): Promise<boolean>;
}

export interface RunnerDeps {
  store: RunnerStore;
  /** Runs one claimed row to its end or back to the queue. It MUST finish or release the row it is given. */
  processRow(job: JobRecord, row: ClaimedRow): Promise<void>;
  /**
   * The running jobs, as a pass read them, and the jobs this runner held
   * rows of when the read began: a job held then and not running was
   * cancelled (its rows keep it from being done). One held since may be
   * newer than the read (claimed at once when it was created here).
   */
  onJobsLoaded?(jobs: JobRecord[], heldWhenRead: string[]): void;
  /**
   * Jobs someone is waiting on (leads from a form): claimed before the others
   * at every pass, and given room beyond maxInflightRows (a tenth more), so a
   * bulk import holding every slot never keeps them waiting for one.
   */
  urgent?(job: JobRecord): boolean;
  onJobDone?(job: JobRecord): void;
  onError(err: unknown): void;
  /**
   * Live members of the cluster, this one included (1 when alone). With
   * more, a bulk job's claims are sized to this instance's part of the job
   * (ClaimSpread), so every member gets work, not just the first to claim.
   */
  members?(): number;
  /**
   * Whether this member may take rows now: not while it has no share of the
   * providers (a member joining a cluster, ClusterFlow.sharing), or the rows
   * would wait in its hands while the others could run them. Always, if unset.
   */
  mayClaim?(): boolean;
  engine: EngineConfig;
  clock: Clock;
  workerId: string;
}

const CLAIM_BATCH = 1000;
const START_SLICE = 50;
/** Room urgent jobs have beyond maxInflightRows, as a share of it. */
const URGENT_RESERVE = 0.1;

/**
 * The bulk row pump. Claims due rows with leases, a fair share per workspace
 * and per job within a cap on rows in memory, and keeps leases alive while
 * rows are worked on. Rows wait for providers in the providers' fair queues,
 * not here.
 */
export class Runner {
  private readonly perJob = new Map<string, number>();
  /**
   * Jobs the last pass left due rows of (no room, or a claim that came back
   * full). Only these are a reason for a finished row to claim again: once
   * every job is drained, each finished row would cost a pass that finds
   * nothing. Rows that fall due later (retries) come with the poll.
   */
  private hungry = new Set<string>();
  /** Jobs a claim beside the passes is out for (claimBeside): a pass leaves them to it. */
  private readonly claimingBeside = new Set<string>();
  /** Jobs this runner finished its last row of since the last pass: the pass sees whether they are done. */
  private drained = new Set<string>();
  /** Finish checks out, by job. */
  private readonly finishing = new Map<string, Promise<void>>();
  private total = 0;
  private readonly passes = new SerialTask(
    () => this.tick(),
    (err) => this.deps.onError(err),
  );
  private stopped = true;
  private timers: NodeJS.Timeout[] = [];
  private idle: (() => void) | undefined;

  constructor(private readonly deps: RunnerDeps) {}

  start(): void {
    this.stopped = false;
    const { engine } = this.deps;
    this.timers.push(setInterval(() => this.wake(), engine.pollMs));
    this.timers.push(setInterval(() => void this.keepLeases(), Math.max(100, Math.floor(engine.leaseMs / 3))));
    void this.keepLeases();
    this.wake();
  }

  /** Stops claiming; resolves once every row in hand has been finished or released. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.total > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    await Promise.all(this.finishing.values());
  }

  get inflight(): number {
    return this.total;
  }

  /** The jobs this runner holds rows of now. */
  heldJobs(): string[] {
    return [...this.perJob.keys()];
  }

  /**
   * Asks for a pass. Given a job that was just created here, claims from it
   * at once, beside the passes, whose first look at every running job is a
   * round trip before the claim: a job someone waits on (urgent) gets all its
   * rows, since behind a bulk job's claims a form's lead waited up to a
   * second; a bulk job its first slice, so its first requests leave a round
   * trip sooner.
   */
  wake(job?: JobRecord): void {
    if (this.stopped) return;
    if (!job) this.passes.wake();
    else
      void this.claimBeside(job).catch((err) => {
        // Refused (sqld busy with the other members' claims of the same new job): a pass tries again now, not at the next poll.
        this.deps.onError(err);
        this.passes.wake();
      });
  }

  /** See RunnerDeps.mayClaim. */
  private mayClaim(): boolean {
    return this.deps.mayClaim?.() ?? true;
  }

  /**
   * Claims from a job just created here, beside the passes: an urgent job's
   * rows within its reserve, a bulk job's first slice spread over the members
   * (see tick). A pass takes what is left: the rest if the claim came back
   * full, the job's end if it took nothing (every row settled from the cache
   * at intake, or invalid).
   */
  private async claimBeside(job: JobRecord): Promise<void> {
    const { store, clock, engine, workerId } = this.deps;
    if (!this.mayClaim()) return;
    const urgent = this.deps.urgent?.(job) ?? false;
    const room = urgent ? Math.min(this.urgentCap() - this.total, CLAIM_BATCH) : Math.min(START_SLICE, engine.maxInflightRows - this.total);
    if (room <= 0 || this.perJob.has(job.id) || this.claimingBeside.has(job.id)) return this.passes.wake();
    const now = clock.now();
    this.claimingBeside.add(job.id);
    const claimed = await store
      .claim(job.id, room, workerId, now + engine.leaseMs, now, urgent ? undefined : this.spread(0))
      .finally(() => this.claimingBeside.delete(job.id));
    if (claimed.length === room || claimed.length === 0) this.passes.wake();
    if (claimed.length === 0 || this.stopped) {
      // Stopping: the rows go back as their leases run out, as any left by a stop do. Never started, never counted.
      return;
    }
    await this.adopt(job, claimed, claimed.length);
  }

  /**
   * In a cluster, a bulk job's claim is this member's part of it: with a claim
   * of up to 1,000 rows, the first member to claim took a 2,000-row job in two
   * passes while a third member sat idle. `held`: rows of the job in hand.
   */
  private spread(held: number): ClaimSpread | undefined {
    const members = Math.max(1, this.deps.members?.() ?? 1);
    return members > 1 ? { members, held, floor: START_SLICE } : undefined;
  }

  /**
   * Counts claimed rows as in hand, then starts them. The job's count is read
   * here, after the claim's await, never before it: rows of the job may have
   * finished meanwhile, and a count from before would lose their decrements
   * (never back to 0, the job never seen done).
   */
  private adopt(job: JobRecord, claimed: ClaimedRow[], share: number): Promise<void> {
    this.perJob.set(job.id, (this.perJob.get(job.id) ?? 0) + claimed.length);
    this.total += claimed.length;
    return this.startRows(job, claimed, share);
  }

  private urgentCap(): number {
    return Math.ceil(this.deps.engine.maxInflightRows * (1 + URGENT_RESERVE));
  }

  /**
   * Marks the job done if every row of it is, beside the passes: the check
   * waits for the rows' completions to commit, and a pass waiting with it
   * kept every other job's claim waiting too. One check per job at a time.
   */
  private finishIfDone(job: JobRecord): void {
    if (this.finishing.has(job.id)) return;
    const check = this.deps.store
      .finishJobIfDone(job.id, this.deps.clock.now())
      .then((done) => {
        if (done) this.deps.onJobDone?.(job);
      }, this.deps.onError)
      .finally(() => this.finishing.delete(job.id));
    this.finishing.set(job.id, check);
  }

  /**
   * Takes back at once the rows the given workers hold (cluster members
   * declared dead), rather than when their leases run out, and claims them
   * again here if there is room. Returns how many.
   */
  async takeOver(deadWorkers: readonly string[]): Promise<number> {
    const taken = await this.deps.store.reclaimExpired(this.deps.clock.now(), deadWorkers);
    if (taken > 0) this.wake();
    return taken;
  }

  private async keepLeases(): Promise<void> {
    const { store, clock, engine, workerId } = this.deps;
    try {
      const now = clock.now();
      await store.heartbeat([...this.perJob.keys()], workerId, now + engine.leaseMs);
      if ((await store.reclaimExpired(now)) > 0) this.wake();
    } catch (err) {
      this.deps.onError(err);
    }
  }

  private async tick(): Promise<void> {
    const { store, clock, engine, workerId } = this.deps;
    const drained = this.drained;
    this.drained = new Set();
    const heldWhenRead = this.heldJobs();
    const loaded = await store.activeJobs(clock.now());
    this.deps.onJobsLoaded?.(loaded, heldWhenRead);
    const urgent = new Set(loaded.filter((j) => this.deps.urgent?.(j)));
    const jobs = [...urgent, ...loaded.filter((j) => !urgent.has(j))];
    const byWorkspace = new Map<string, JobRecord[]>();
    for (const j of jobs) byWorkspace.set(j.workspaceId, [...(byWorkspace.get(j.workspaceId) ?? []), j]);
    const wsShare = engine.maxInflightRows / Math.max(1, byWorkspace.size);
    const hungry = new Set<string>();
    this.hungry = hungry;
    if (!this.mayClaim()) return;
    for (const job of jobs) {
      if (this.stopped) return;
      // A claim beside the passes is out for it: this pass would claim as much again beside it. The rest comes with
      // the pass that claim asks for.
      if (this.claimingBeside.has(job.id)) continue;
      if (!job.due) {
        // No claim: one is a write transaction even when it takes nothing, and in a cluster every member's every
        // poll made a fifth of sqld's writes of them. The job may be done once nothing of it is open, or when this
        // runner has just finished its last row of it (the read may predate that row's commit; finishIfDone waits for it).
        if (!this.perJob.has(job.id) && (!job.open || drained.has(job.id))) this.finishIfDone(job);
        continue;
      }
      const share = Math.max(1, Math.ceil(wsShare / byWorkspace.get(job.workspaceId)!.length));
      const mine = this.perJob.get(job.id) ?? 0;
      const cap = urgent.has(job) ? this.urgentCap() : engine.maxInflightRows;
      // A member's first claim of a bulk job is a slice: the job's first requests leave after a claim of 50 rows,
      // not of 1,000 (which took 25-80 ms at sqld, longer while other members claimed theirs), and the rest is claimed
      // at once after it, while those are on their way.
      const bite = mine === 0 && !urgent.has(job);
      const room = Math.min(share - mine, cap - this.total, bite ? START_SLICE : CLAIM_BATCH);
      if (room <= 0) {
        hungry.add(job.id);
        continue;
      }
      const now = clock.now();
      // An urgent job's rows (someone is waiting) go to whoever claims first, at once. A claim the spread cut short
      // leaves the job out of `hungry`: the others are taking those rows, and this member looks again at the next poll.
      const spread = urgent.has(job) ? undefined : this.spread(mine);
      const claimed = await store.claim(job.id, room, workerId, now + engine.leaseMs, now, spread);
      if (claimed.length === room) hungry.add(job.id);
      if (claimed.length === 0) {
        // Read after the claim, as adopt() does: rows of the job may have finished while it was out.
        if (!this.perJob.has(job.id)) this.finishIfDone(job);
        continue;
      }
      if (bite && claimed.length === room) this.passes.wake();
      await this.adopt(job, claimed, share);
    }
  }

  /**
   * Starts claimed rows a slice per event-loop turn. Rows started together
   * take their first steps (state, order, cache look-up) in lockstep, all of
   * them before any reaches a provider: a claim of a thousand rows kept the
   * first request off the wire for some 100 ms, and every answer waiting to be
   * read waited as long. Every row counted in `total` is started, stopping or not.
   */
  private async startRows(job: JobRecord, rows: ClaimedRow[], share: number): Promise<void> {
    for (let i = 0; i < rows.length; i += START_SLICE) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      for (const row of rows.slice(i, i + START_SLICE)) void this.run(job, row, share);
    }
  }

  private async run(job: JobRecord, row: ClaimedRow, share: number): Promise<void> {
    try {
      await this.deps.processRow(job, row);
    } catch (err) {
      // The row keeps its lease until it runs out; then it is reclaimed and run again.
      this.deps.onError(err);
    } finally {
      const left = (this.perJob.get(job.id) ?? 1) - 1;
      if (left === 0) {
        this.perJob.delete(job.id);
        this.drained.add(job.id);
      } else this.perJob.set(job.id, left);
      this.total--;
      if (this.total === 0) this.idle?.();
      // A job's last row: see whether it is done. Otherwise claim more once a quarter of the room is free: fewer, larger claims.
      const roomFreed = left <= share * 0.75 || this.total <= this.deps.engine.maxInflightRows * 0.75;
      if (left === 0 || (roomFreed && this.hungry.size > 0)) this.wake();
    }
  }
}
