import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Wake } from '../../shared/index.js';

/** HKDF's info: a key for this use alone, independent of the token cipher's use of the same secret. */
const PURPOSE = 'cascade cluster wake v1';

/**
 * Signs and checks members' wakes (shared/cluster.ts) with a key derived from
 * the cluster's token key (CASCADE_TOKEN_KEY), which every member already
 * shares to open each other's sealed Google tokens: no second secret to
 * deploy. The signature covers sender, receiver and time, so a wake is good
 * for one receiver only, and the receiver refuses one it has seen (PeerWakes).
 */
export class WakeSeal {
  private readonly key: Buffer;

  constructor(tokenKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', tokenKey, Buffer.alloc(0), PURPOSE, 32));
  }

  sign(from: string, to: string, at: number): Wake {
    return { from, to, at, sig: this.mac(from, to, at).toString('base64url') };
  }

  /** Whether `sig` is this key's over the rest; in constant time, so a guess learns nothing of how close it came. */
  verify(w: Wake): boolean {
    const given = Buffer.from(w.sig, 'base64url');
    const expected = this.mac(w.from, w.to, w.at);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private mac(from: string, to: string, at: number): Buffer {
    // Length-prefixed, so no two (from, to) pairs sign the same text.
    return createHmac('sha256', this.key).update(`${from.length}:${from}|${to.length}:${to}|${at}`).digest();
  }
}
