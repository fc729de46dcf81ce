import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WAKE_PATH, WakeSchema } from '../../shared/index.js';
import { createHttpClient } from '../net/httpClient.js';
import { PeerWakes, type PeerWakesDeps } from './peerWakes.js';
import { WakeSeal } from './wakeSeal.js';

const KEY = Buffer.alloc(32, 1);
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function wakes(selfId: string, o: Partial<PeerWakesDeps> & { woken?: string[] } = {}) {
  const woken = o.woken ?? [];
  return new PeerWakes({
    seal: new WakeSeal(KEY),
    selfId,
    peers: () => [],
    http: createHttpClient(),
    now: () => Date.now(),
    onWake: () => woken.push(selfId),
    log: () => {},
    ...o,
  });
}

/** A member's wake endpoint as the server has it: the body through the shared schema, then accept(); `hold` delays each answer. */
async function member(receiver: PeerWakes, hold = 0) {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', async () => {
      bodies.push(JSON.parse(text));
      await new Promise((r) => setTimeout(r, hold));
      const verdict = req.url === WAKE_PATH ? receiver.accept(WakeSchema.parse(JSON.parse(text))) : { woken: false };
      res.writeHead(verdict.woken ? 204 : 401).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

describe('WakeSeal', () => {
  it('verifies its own signature only: another key, sender, receiver or time does not verify', () => {
    const seal = new WakeSeal(KEY);
    const w = seal.sign('a', 'b', 1000);
    expect(WakeSchema.parse(w)).toEqual(w);
    expect(seal.verify(w)).toBe(true);
    expect(new WakeSeal(Buffer.alloc(32, 2)).verify(w)).toBe(false);
    for (const changed of [{ from: 'x' }, { to: 'x' }, { at: 1001 }]) expect(seal.verify({ ...w, ...changed })).toBe(false);
    // The fields are length-prefixed: moving a character from one to the other is another text.
    expect(seal.sign('ab', 'c', 1).sig).not.toBe(seal.sign('a', 'bc', 1).sig);
  });
});

describe('PeerWakes', () => {
  it('wakes every other live member that says where, and each looks at its database once per wake', async () => {
    const woken: string[] = [];
    const [b, c] = [wakes('b', { woken }), wakes('c', { woken })];
    const [atB, atC] = [await member(b), await member(c)];
    const a = wakes('a', {
      peers: () => [
        { id: 'a', url: 'http://127.0.0.1:1' },
        { id: 'b', url: atB.url },
        { id: 'c', url: atC.url },
        { id: 'd', url: null },
      ],
    });
    a.wake();
    await until(() => woken.length === 2);
    expect(woken.sort()).toEqual(['b', 'c']);
    // The next wake is taken too: its time rises, even within one millisecond.
    a.wake();
    await until(() => woken.length === 4);
  });

  it('refuses a wake not signed with the cluster key, for another member, far from its clock, or taken before; and says why', () => {
    const woken: string[] = [];
    const b = wakes('b', { woken });
    const seal = new WakeSeal(KEY);
    const now = Date.now();
    expect(b.accept(new WakeSeal(Buffer.alloc(32, 9)).sign('a', 'b', now))).toMatchObject({ woken: false, why: expect.stringMatching(/not signed/) });
    expect(b.accept(seal.sign('a', 'c', now))).toMatchObject({ woken: false, why: expect.stringMatching(/another member/) });
    expect(b.accept(seal.sign('a', 'b', now - 61_000))).toMatchObject({ woken: false, why: expect.stringMatching(/off this instance/) });
    expect(b.accept(seal.sign('a', 'b', now + 61_000))).toMatchObject({ woken: false, why: expect.stringMatching(/off this instance/) });
    const w = seal.sign('a', 'b', now);
    expect(b.accept(w)).toEqual({ woken: true });
    expect(b.accept(w)).toMatchObject({ woken: false, why: expect.stringMatching(/taken already/) });
    expect(b.accept(seal.sign('a', 'b', now - 1))).toMatchObject({ woken: false });
    // Another sender's times are its own.
    expect(b.accept(seal.sign('z', 'b', now - 1))).toEqual({ woken: true });
    expect(woken).toEqual(['b', 'b']);
  });

  it('keeps one wake in flight per member, folding those asked for meanwhile into one more', async () => {
    const woken: string[] = [];
    const b = wakes('b', { woken });
    const atB = await member(b, 100);
    const a = wakes('a', { peers: () => [{ id: 'b', url: atB.url }] });
    for (let i = 0; i < 10; i++) a.wake();
    await until(() => woken.length === 2);
    await new Promise((r) => setTimeout(r, 250));
    expect(atB.bodies).toHaveLength(2);
  });

  it('says so, once, when a member does not take its wakes, and goes on', async () => {
    const lines: { msg: string; extra?: Record<string, unknown> }[] = [];
    const stranger = wakes('b', { seal: new WakeSeal(Buffer.alloc(32, 3)) });
    const atB = await member(stranger);
    const a = wakes('a', { peers: () => [{ id: 'b', url: atB.url }], log: (msg, extra) => lines.push({ msg, extra }) });
    a.wake();
    await until(() => atB.bodies.length === 1 && lines.length === 1);
    a.wake();
    await until(() => atB.bodies.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.msg).toMatch(/did not take a wake/);
    expect(lines[0]!.extra).toMatchObject({ member: 'b', why: expect.stringMatching(/401/) });
  });
});
