import { Deque } from './deque.js';

/**
 * Who a waiting call is for: real-time lookups go first; other work is
 * shared round-robin by workspace, then by `job` within it (a job's rows at
 * a provider; a Google user's requests at the Sheets quota).
 */
export interface Lane {
  realtime: boolean;
  workspace: string;
  job: string;
}

/**
 * Entries taking turns. An entry that runs empty keeps its place until its
 * turn comes round (then it is dropped): a lane that empties for a moment
 * and fills again (a job between claims, a user between writes) does not
 * jump to the head of the rotation, and one served just now waits behind
 * the others, as if it had never left.
 */
class RoundRobin<K, V> {
  private readonly map = new Map<K, V>();
  private order: K[] = [];
  private next = 0;

  constructor(private readonly isEmpty: (value: V) => boolean) {}

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  add(key: K, value: V): void {
    this.map.set(key, value);
    this.order.push(key);
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  private dropAt(i: number): void {
    this.map.delete(this.order[i]!);
    this.order.splice(i, 1);
    if (i < this.next) this.next--;
  }

  /** The next non-empty entry in turn, advancing the turn past it; empty ones met on the way are dropped. */
  turn(): [K, V] | undefined {
    while (this.order.length > 0) {
      if (this.next >= this.order.length) this.next = 0;
      const key = this.order[this.next]!;
      const value = this.map.get(key)!;
      if (this.isEmpty(value)) {
        this.dropAt(this.next);
        continue;
      }
      this.next++;
      return [key, value];
    }
    return undefined;
  }

  /** The first non-empty entry from the turn on that `test` accepts; the turn moves past it only if `take`. */
  find(test: (value: V) => boolean, take: boolean): [K, V] | undefined {
    for (let i = 0; i < this.order.length; i++) {
      const at = (this.next + i) % this.order.length;
      const key = this.order[at]!;
      const value = this.map.get(key)!;
      if (this.isEmpty(value) || !test(value)) continue;
      if (take) this.next = at + 1;
      return [key, value];
    }
    return undefined;
  }
}

interface Workspace<T> {
  jobs: RoundRobin<string, Deque<T>>;
  count: number;
}

export class FairQueue<T> {
  private readonly realtime = new Deque<T>();
  private readonly workspaces = new RoundRobin<string, Workspace<T>>((w) => w.count === 0);
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** `front` puts a call back at the head of its lane, as for one that was sent back with a 429. */
  push(lane: Lane, item: T, front = false): void {
    this.count++;
    let q: Deque<T>;
    if (lane.realtime) {
      q = this.realtime;
    } else {
      let ws = this.workspaces.get(lane.workspace);
      if (!ws) this.workspaces.add(lane.workspace, (ws = { jobs: new RoundRobin((d) => d.length === 0), count: 0 }));
      ws.count++;
      let jq = ws.jobs.get(lane.job);
      if (!jq) ws.jobs.add(lane.job, (jq = new Deque()));
      q = jq;
    }
    if (front) q.unshift(item);
    else q.push(item);
  }

  /**
   * The next item in turn. With `ready`, the next whose lane can go now: a
   * lane is judged by its head, as every item of a lane waits on the same
   * thing (a Google user's quota), and lanes not ready keep their turn.
   */
  shift(ready?: (item: T) => boolean): T | undefined {
    if (this.count === 0) return undefined;
    if (this.realtime.length > 0 && (!ready || ready(this.realtime.peek()!))) {
      this.count--;
      return this.realtime.shift();
    }
    const laneReady = (q: Deque<T>) => !ready || ready(q.peek()!);
    const picked = ready ? this.workspaces.find((w) => w.jobs.find(laneReady, false) !== undefined, true) : this.workspaces.turn();
    if (!picked) return undefined;
    const ws = picked[1];
    const [, q] = ready ? ws.jobs.find(laneReady, true)! : ws.jobs.turn()!;
    this.count--;
    ws.count--;
    return q.shift()!;
  }

  /** The head of every lane, in no particular order: what `ready` would judge, to find when one can go next. */
  *heads(): Generator<T> {
    if (this.realtime.length > 0) yield this.realtime.peek()!;
    for (const ws of this.workspaces.values()) for (const q of ws.jobs.values()) if (q.length > 0) yield q.peek()!;
  }
}
