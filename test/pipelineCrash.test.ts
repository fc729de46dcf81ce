import { createClient } from '@libsql/client';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { LEAD_FIELDS } from '../shared/index.js';
import { formLeads, leadOfRequest, slackMentions, startPipelineWorld, type PipelineWorld } from './helpers/pipelineWorld.js';
import { kill9, spawnServer, type Spawned } from './helpers/spawnServer.js';

let world: PipelineWorld | undefined;
let server: Spawned | undefined;
let dir: string | undefined;
afterEach(async () => {
  server?.child.kill('SIGKILL');
  await world?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const KEY = 'csk_pipeline_crash_key_0123456789';
/** Sheet rows; `PIPELINE_CRASH_LEADS=2000` runs the issue's full size. */
const N = Number(process.env.PIPELINE_CRASH_LEADS ?? 400);
const FORMS = 30;

it(
  'kill -9 twice mid-run: every lead completes; no upsert, message or model call repeated beyond what was on the wire',
  async () => {
    world = await startPipelineWorld({ llmLatencyMs: 15 });
    const w = world;
    dir = mkdtempSync(join(tmpdir(), 'cascade-pipeline-crash-'));
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(w.config({ leaseMs: 800, pollMs: 20, retryDelaysMs: [50, 100, 200] })));
    const dbPath = join(dir, 'cascade.db');
    const env = { ...w.env, CASCADE_CONFIG: configPath, CASCADE_DB: `file:${dbPath}`, CASCADE_BOOTSTRAP_KEY: KEY };
    const call = async (path: string, body?: unknown) => {
      for (;;) {
        try {
          const res = await fetch(`${server!.url}${path}`, {
            method: body ? 'POST' : 'GET',
            headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
            body: body ? JSON.stringify(body) : undefined,
          });
          return (await res.json()) as any;
        } catch {
          // Down between a kill and the restart: the client tries again, as a form backend would.
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const until = async (what: string, cond: () => boolean | Promise<boolean>) => {
      // Slack's one message a second, half of it kept for form leads, sets the pace: 10 sheet leads a second, in digests of 20.
      for (let i = 0; i < Math.max(12_000, N * 30); i++) {
        if (await cond()) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`timed out waiting for ${what}`);
    };

    server = await spawnServer(env);
    const rows = formLeads(N, 'sheet').map((l, i) => ({ key: String(i + 2), input: l.input }));
    const sheet = await call('/v1/jobs', { fields: ['company.name', ...LEAD_FIELDS], rows, pipeline: { deliver: true, notify: true } });
    // A steady stream of form leads beside the sheet job, a POST at a time, through both kills.
    const formJobs: string[] = [];
    let streaming = true;
    const stream = (async () => {
      for (const lead of formLeads(FORMS, 'form')) {
        if (!streaming) break;
        formJobs.push((await call('/v1/leads', { source: 'form', leads: [lead] })).jobId);
        await new Promise((r) => setTimeout(r, 40));
      }
    })();

    /** What was stored at each kill: leads whose verdict was checkpointed, answers in the cache; and the provider requests answered by then. */
    const kills: { at: number; judged: Set<string>; stored: Set<string>; settled: number }[] = [];
    const kill = async () => {
      await kill9(server!);
      // A request the dead process sent may still be read by a fake just after it exited: a little margin.
      const at = Date.now() + 50;
      const db = createClient({ url: `file:${dbPath}` });
      const judged = await db.execute("SELECT input ->> '$.email' AS email FROM rows WHERE state ->> '$.run.steps.qualify.outcome' = 'done'");
      const cached = await db.execute("SELECT input_key FROM cache WHERE provider_id = 'firmo'");
      db.close();
      // Requests out at the kill are answered into the void; once all are, whatever arrives was sent by the restarted server.
      await until('the requests on the wire at the kill', () => w.sim.requests.length === w.sim.arrivals());
      kills.push({
        at,
        judged: new Set(judged.rows.map((r) => String(r.email))),
        stored: new Set(cached.rows.map((r) => String(r.input_key).replace('domain=', ''))),
        settled: w.sim.requests.length,
      });
      server = await spawnServer(env);
    };
    // The first kill among the model's calls, the second among the CRM's batches: both mid-run.
    await until('model calls under way', () => w.llm.requests.length >= N / 5);
    await kill();
    await until('CRM batches under way', () => w.hubspot.upserts.length >= N / 3);
    await kill();

    const finished = async (id: string) => (await call(`/v1/jobs/${id}`)).status === 'done';
    await stream;
    streaming = false;
    await until('every job to finish', async () => (await finished(sheet.id)) && (await Promise.all(formJobs.map(finished))).every(Boolean));

    const sheetJob = await call(`/v1/jobs/${sheet.id}`);
    expect(sheetJob.counts.failed + sheetJob.counts.pending + sheetJob.counts.running).toBe(0);
    const runs = [...(await call(`/v1/jobs/${sheet.id}/results?limit=5000`)).rows];
    for (const id of formJobs) runs.push(...(await call(`/v1/jobs/${id}/results`)).rows);
    expect(runs).toHaveLength(N + formJobs.length);
    for (const r of runs) {
      expect(r.values['lead.score'], r.key).toBeTypeOf('number');
      expect(r.values['lead.owner'], r.key).toBeTypeOf('string');
      expect(r.values['lead.priority'], r.key).toBeTypeOf('string');
      expect(typeof r.values['lead.qualified'], r.key).toBe('boolean');
    }

    // HubSpot: each lead's email upserted once; a batch in doubt at a kill was read back, not sent again.
    expect(w.hubspot.duplicateUpserts()).toBe(0);
    expect(new Set(w.hubspot.upserts.map((u) => u.email)).size).toBe(N + FORMS);
    // Slack: no lead announced twice. At most once: a message in doubt at a kill is not sent again, and is counted.
    const text = w.slack.messages.map((m) => m.text ?? '').join('\n');
    const qualified = runs.filter((r) => r.values['lead.qualified'] === true);
    const db = createClient({ url: `file:${dbPath}` });
    const inDoubt = Number((await db.execute("SELECT count(*) AS n FROM effects WHERE target LIKE '%/slack' AND result LIKE '%inDoubt%'")).rows[0]!.n);
    const emails = (await db.execute("SELECT payload ->> '$.email' AS email FROM effects WHERE target LIKE '%/hubspot'")).rows.map((r) => String(r.email));
    db.close();
    expect(emails).toHaveLength(N + FORMS);
    const mentions = emails.map((e) => slackMentions(text, e));
    expect(Math.max(...mentions)).toBe(1);
    expect(qualified.length).toBeGreaterThan(0);
    expect(mentions.filter((m) => m === 1).length + inDoubt).toBeGreaterThanOrEqual(qualified.length);
    expect(w.slack.statuses[429] ?? 0).toBe(0);

    // The model: a verdict stored before a kill is never asked for again; a lead is asked twice only when its
    // first request was out (or its answer not yet committed) at a kill.
    const asked = new Map<string, number[]>();
    for (const r of w.llm.requests.filter((r) => r.status === 200)) {
      const email = leadOfRequest(r.body.messages)!;
      asked.set(email, [...(asked.get(email) ?? []), r.at]);
    }
    let repeats = 0;
    for (const [email, times] of asked) {
      for (const t of times.slice(1)) {
        repeats++;
        const excused = kills.some((k) => times[0]! < k.at && k.at <= t && !k.judged.has(email));
        expect(excused, `${email} asked at ${times.join(', ')}; kills at ${kills.map((k) => `${k.at} (judged: ${k.judged.has(email)})`).join(', ')}`).toBe(
          true,
        );
      }
    }
    // Paid enrichment: an answer stored before a kill is never bought again.
    for (const k of kills) {
      const again = w.sim.requests.slice(k.settled).filter((r) => k.stored.has(r.q));
      expect(again, 'stored answers bought again after a kill').toEqual([]);
    }
    const answered = w.sim.requests.filter((r) => r.status === 200 || r.status === 404).map((r) => `${r.provider}|${r.q}`);
    console.log(
      `pipeline crash: ${N} sheet leads + ${formJobs.length} form leads; ${qualified.length} qualified; duplicates: hubspot 0, ` +
        `llm ${repeats} (each out at a kill), enrichment ${answered.length - new Set(answered).size} (each out at a kill); slack in doubt ${inDoubt}`,
    );
  },
  Math.max(180_000, N * 300),
);
