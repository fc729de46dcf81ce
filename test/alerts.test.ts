import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertsSchema } from '../shared/alerts.js';
import { MetricsSchema } from '../shared/api.js';
import { parseConfig } from '../api/config/load.js';
import { startSimServer, type SimServer } from '../api/demo/simServer.js';
import { startCascade, type Cascade } from '../api/server.js';
import { storedAnswers } from '../api/storage/cache.js';
import { recordedCalls, type JournaledCall } from '../api/storage/calls.js';
import { keysStore } from '../api/storage/keys.js';
import { rawConfig, simProviders, type TestProvider } from './helpers/harness.js';

/**
 * Alerts over five simulated weeks, through the real server with a clock the
 * test moves a day at a time: the journal gets each day's calls as the day
 * comes, the engine's check runs, and a webhook receiver on 127.0.0.1 that
 * answers as Slack's incoming webhooks do (a 429 with Retry-After first) must
 * hear each alert start once and clear once, across a restart.
 */

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 2, 0);
const WS = 'ws-alerts';
const PROVIDERS: TestProvider[] = [
  { id: 'pf', fields: ['person.email'] },
  { id: 'verifier', fields: ['person.emailStatus'], input: 'email' },
];

interface Hook {
  server: Server;
  url: string;
  bodies: { text: string }[];
  answered: number[];
}

async function slackReceiver(): Promise<Hook> {
  const hook: Hook = { server: undefined as never, url: '', bodies: [], answered: [] };
  hook.server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      // The first message is refused as Slack refuses a burst; the sender must wait Retry-After and send it again.
      if (hook.answered.length === 0) {
        hook.answered.push(429);
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain' }).end('rate_limited');
        return;
      }
      hook.answered.push(200);
      hook.bodies.push(JSON.parse(data));
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => hook.server.listen(0, '127.0.0.1', r));
  hook.url = `http://127.0.0.1:${(hook.server.address() as AddressInfo).port}/services/T000/B000/secret`;
  return hook;
}

describe('alerts over simulated weeks', () => {
  let dir: string;
  let sim: SimServer;
  let hook: Hook;
  let cascade: Cascade;
  let key: string;
  const clock = { t: T0 };
  const boot = () =>
    startCascade({
      config: parseConfig(rawConfig(sim.url, PROVIDERS), {}),
      dbUrl: `file:${join(dir, 'cascade.db')}`,
      port: 0,
      host: '127.0.0.1',
      log: () => {},
      clock: { now: () => clock.t },
      // The timer never fires within the test: the test runs each check itself.
      alerts: { webhook: { url: hook.url, format: 'slack' }, checkEveryMs: 1e9 },
    });
  const api = async (path: string) => {
    const res = await fetch(`${cascade.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    return res.json();
  };
  let n = 0;
  /** One simulated day of the journal: 20 answered pf calls at `latencyMs`, `rate` of them matches. */
  async function liveDay(rate: number, latencyMs: number) {
    const calls: JournaledCall[] = Array.from({ length: 20 }, (_, i) => ({
      id: `c${n++}`,
      workspaceId: WS,
      providerId: 'pf',
      jobId: null,
      segment: '*',
      outcome: i < rate * 20 ? 'match' : 'no_match',
      httpStatus: 200,
      latencyMs: latencyMs + i,
      costUsd: 0.01,
      at: clock.t - 3600_000 + i,
    }));
    // Two verifications a day, one of them deliverable.
    calls.push(
      ...(['valid', 'invalid'] as const).map((_, i) => ({
        ...calls[0]!,
        id: `c${n++}`,
        providerId: 'verifier',
        outcome: 'match' as const,
        costUsd: 0.005,
        latencyMs: 50 + i,
      })),
    );
    const answers = (['valid', 'invalid'] as const).map((status) => ({
      workspaceId: WS,
      providerId: 'verifier',
      inputKey: `e${n}-${status}`,
      outcome: 'match' as const,
      values: { 'person.emailStatus': status },
      fetchedAt: clock.t - 3600_000,
    }));
    await cascade.database.commit([...recordedCalls.statements(calls), ...storedAnswers.statements(answers)]);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cascade-alerts-'));
    sim = await startSimServer(simProviders(PROVIDERS));
    hook = await slackReceiver();
    cascade = await boot();
    key = await keysStore(cascade.database.db).create(WS, T0);
  });

  afterAll(async () => {
    await cascade?.stop();
    await sim?.close();
    await new Promise((r) => hook?.server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('fires once when an alert starts and once when it clears, and GET /v1/alerts lists what is in force', async () => {
    // Weeks 1–2 match 70%; week 3 drops to 45%; weeks 4–5 are back at 70%. Day 30's latency is 10× the usual.
    const seen: { day: number; alerts: string[] }[] = [];
    let matchRateStart: number | undefined;
    for (let day = 0; day < 35; day++) {
      clock.t = T0 + day * DAY + 12 * 3600_000;
      await liveDay(day >= 14 && day < 21 ? 0.45 : 0.7, day === 30 ? 1000 : 100);
      await cascade.engine.checkAlerts();
      const body = AlertsSchema.parse(await api('/v1/alerts'));
      seen.push({ day, alerts: body.alerts.map((a) => a.figure) });
      const mr = body.alerts.find((a) => a.figure === 'matchRate');
      if (mr && matchRateStart === undefined) {
        matchRateStart = day;
        expect(mr).toMatchObject({ provider: 'pf', label: 'pf', since: new Date(clock.t).toISOString() });
        expect(mr.message).toMatch(/^pf: match rate \d+%, down \d+ points on last week \(70%\)$/);
      } else if (mr) {
        // Since when: the first check that found it, not each check.
        expect(mr.since).toBe(new Date(T0 + matchRateStart! * DAY + 12 * 3600_000).toISOString());
      }
      if (day === 20) {
        // Cost per verified match beside cost per match, from the same calls GET /v1/metrics counts.
        const metrics = MetricsSchema.parse(await api('/v1/metrics?window=7d'));
        expect(body.totals.thisWeek.costUsd).toBeCloseTo(metrics.totals.costUsd, 9);
        expect(body.totals.thisWeek.matches).toBe(metrics.totals.matches);
        expect(body.totals.thisWeek.costPerMatch).toBeCloseTo(metrics.totals.costPerMatch!, 9);
        expect(body.totals.thisWeek.verifiedMatches).toBe(7);
        expect(body.totals.thisWeek.costPerVerifiedMatch).toBeCloseTo(metrics.totals.costUsd / 7, 9);
        const pf = body.providers.find((p) => p.provider === 'pf')!;
        expect(pf.matchRate.thisWeek).toBeCloseTo(metrics.providers.find((p) => p.provider === 'pf')!.matchRate!, 9);
        expect(pf.matchRate.lastWeek).toBeCloseTo(0.7, 9);
      }
      if (day === 31) {
        // A restart while nothing is unsent: the new process fires nothing again.
        const before = hook.bodies.length;
        await cascade.stop();
        cascade = await boot();
        await cascade.engine.checkAlerts();
        expect(hook.bodies.length).toBe(before);
      }
    }
    // The drop shows once three of the week's seven days are at 45% (down 25 × 3 / 7 ≈ 10.7 points; two would be 7.1), and clears as the week after comes back.
    expect(matchRateStart).toBe(16);
    const days = (figure: string) => seen.filter((s) => s.alerts.includes(figure)).map((s) => s.day);
    expect(days('matchRate')[0]).toBe(16);
    expect(days('p95Ms')).toEqual([30]);
    const texts = hook.bodies.map((b) => b.text);
    expect(texts).toEqual([
      expect.stringMatching(/^:warning: pf: match rate \d+%, down \d+ points on last week \(70%\)$/),
      expect.stringMatching(/^:white_check_mark: Cleared \(in force since 2026-11-18 12:00 UTC\): pf: match rate/),
      expect.stringMatching(/^:warning: pf: p95 latency 1,0\d\d ms, \d+\.\d× its usual 1\d\d ms$/),
      expect.stringMatching(/^:white_check_mark: Cleared \(in force since 2026-12-02 12:00 UTC\): pf: p95 latency/),
    ]);
    // The first was refused with 429 and sent again after Retry-After.
    expect(hook.answered).toEqual([429, 200, 200, 200, 200]);
    expect(AlertsSchema.parse(await api('/v1/alerts')).alerts).toEqual([]);
  }, 60_000);
});
