import { WAKE_PATH, type Wake } from '../../shared/index.js';
import type { HttpClient } from '../providers/types.js';
import type { WakeSeal } from './wakeSeal.js';

/** How far a wake's time may be from the receiver's clock: machines' clocks disagree a little; a replay has only this long. */
const SKEW_MS = 60_000;
/** A member that does not answer a wake in this long is left to find the work at its next poll. */
const SEND_TIMEOUT_MS = 2000;
/** One line per peer at most this often about wakes it did not take: a dying member fails every wake until it is declared dead. */
const COMPLAIN_EVERY_MS = 60_000;

/** A live member as a wake needs it: where it takes wakes, if it said (CASCADE_CLUSTER_URL). */
export interface WakePeer {
  id: string;
  url: string | null;
}

export interface PeerWakesDeps {
  seal: WakeSeal;
  selfId: string;
  /** The live members, this one included. */
  peers(): readonly WakePeer[];
  http: HttpClient;
  /** The wall clock, ms since the epoch: wakes cross machines, so no process's monotonic time will do. */
  now(): number;
  /** Looks at the database now: what a wake taken does here. */
  onWake(): void;
  log(msg: string, extra?: Record<string, unknown>): void;
}

export type WakeVerdict = { woken: true } | { woken: false; why: string };

/**
 * Wakes between the members of a cluster. libSQL has no LISTEN/NOTIFY, so a
 * member learns of work created through another at its next poll; a job's
 * first claims then waited for it, and every other member ran its part of
 * the job that much later (and so finished later) than the one that created
 * it. So the member where jobs change tells the others at once, signed.
 *
 * A wake is a hint, never the only way work is found: a lost one costs a
 * poll's wait, nothing more. Hence fire and forget, one in flight per peer
 * (wakes asked for meanwhile are folded into one more), no retries.
 */
export class PeerWakes {
  private lastSent = 0;
  /** Peers a wake is on its way to; true if another was asked for meanwhile. */
  private readonly sending = new Map<string, boolean>();
  /** Per sender, the time of the last wake taken: one with the same or an earlier time is a replay. */
  private readonly taken = new Map<string, number>();
  private readonly complainedAt = new Map<string, number>();

  constructor(private readonly deps: PeerWakesDeps) {}

  /** Tells every other live member that says where it takes wakes. */
  wake(): void {
    for (const peer of this.deps.peers()) {
      if (peer.id === this.deps.selfId || !peer.url) continue;
      if (this.sending.has(peer.id)) this.sending.set(peer.id, true);
      else void this.send(peer.id, peer.url);
    }
  }

  /**
   * Takes a wake another member sent, if it is signed with the cluster's key,
   * for this member, close to this clock and not taken before; then looks at
   * the database. Says why not otherwise.
   */
  accept(w: Wake): WakeVerdict {
    const { seal, selfId, now } = this.deps;
    if (!seal.verify(w)) return { woken: false, why: 'the wake is not signed with this cluster’s key (CASCADE_TOKEN_KEY differs between instances?)' };
    if (w.to !== selfId) return { woken: false, why: 'the wake is for another member' };
    const t = now();
    if (Math.abs(t - w.at) > SKEW_MS) return { woken: false, why: 'the wake’s time is more than a minute off this instance’s clock' };
    if (w.at <= (this.taken.get(w.from) ?? -1)) return { woken: false, why: 'this wake was taken already' };
    this.taken.set(w.from, w.at);
    // Older times are refused by the window anyway: what is kept stays one entry per member heard lately.
    for (const [from, at] of this.taken) if (at < t - SKEW_MS) this.taken.delete(from);
    this.deps.onWake();
    return { woken: true };
  }

  private async send(id: string, url: string): Promise<void> {
    const { seal, selfId, http } = this.deps;
    try {
      do {
        this.sending.set(id, false);
        // Rising with every wake sent, so two in one millisecond are both taken.
        this.lastSent = Math.max(this.deps.now(), this.lastSent + 1);
        const res = await http({
          method: 'POST',
          url: `${url}${WAKE_PATH}`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(seal.sign(selfId, id, this.lastSent)),
          signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
          maxBytes: 4096,
        });
        if (res.status !== 204) this.complain(id, url, `it answered ${res.status}${res.body ? `: ${res.body.slice(0, 300)}` : ''}`);
      } while (this.sending.get(id));
    } catch (err) {
      this.complain(id, url, (err as Error).message);
    } finally {
      this.sending.delete(id);
    }
  }

  private complain(id: string, url: string, why: string): void {
    const t = this.deps.now();
    if (t - (this.complainedAt.get(id) ?? -Infinity) < COMPLAIN_EVERY_MS) return;
    this.complainedAt.set(id, t);
    for (const [peer, at] of this.complainedAt) if (t - at >= COMPLAIN_EVERY_MS && peer !== id) this.complainedAt.delete(peer);
    this.deps.log('a cluster member did not take a wake; it finds new work at its next poll instead', { member: id, url, why });
  }
}
