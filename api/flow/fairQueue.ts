import { Deque } from './deque.js';

/** Who a waiting call is for: real-time lookups go first; bulk work is shared round-robin by workspace, then by job. */
export interface Lane {
  realtime: boolean;
  workspace: string;
  job: string;
}

class RoundRobin<K, V> {
  private readonly map = new Map<K, V>();
  private order: K[] = [];
  private next = 0;

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  add(key: K, value: V): void {
    this.map.set(key, value);
    this.order.push(key);
  }

  delete(key: K): void {
    this.map.delete(key);
    const i = this.order.indexOf(key);
    this.order.splice(i, 1);
    if (i < this.next) this.next--;
  }

  /** The next entry in turn, advancing the turn. */
  turn(): [K, V] | undefined {
    if (this.order.length === 0) return undefined;
    if (this.next >= this.order.length) this.next = 0;
    const key = this.order[this.next++]!;
    return [key, this.map.get(key)!];
  }

  get size(): number {
    return this.order.length;
  }
}

export class FairQueue<T> {
  private readonly realtime = new Deque<T>();
  private readonly workspaces = new RoundRobin<string, RoundRobin<string, Deque<T>>>();
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
      let jobs = this.workspaces.get(lane.workspace);
      if (!jobs) this.workspaces.add(lane.workspace, (jobs = new RoundRobin()));
      let jq = jobs.get(lane.job);
      if (!jq) jobs.add(lane.job, (jq = new Deque()));
      q = jq;
    }
    if (front) q.unshift(item);
    else q.push(item);
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    this.count--;
    if (this.realtime.length > 0) return this.realtime.shift();
    const [wsKey, jobs] = this.workspaces.turn()!;
    const [jobKey, q] = jobs.turn()!;
    const item = q.shift()!;
    if (q.length === 0) {
      jobs.delete(jobKey);
      if (jobs.size === 0) this.workspaces.delete(wsKey);
    }
    return item;
  }
}
