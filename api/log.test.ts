import { describe, expect, it } from 'vitest';
import { createLog } from './log.js';

const capture = (secrets: string[]) => {
  const lines: string[] = [];
  return { lines, log: createLog(secrets, (l) => lines.push(l)) };
};

describe('createLog', () => {
  it('writes one JSON object per line, with the message, the fields, a level and a time', () => {
    const { lines, log } = capture([]);
    log('job done', { job: 'job_1' });
    log('plain');
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({ msg: 'job done', job: 'job_1', level: 'info' });
    expect(Number.isNaN(Date.parse(first.time))).toBe(false);
    expect(JSON.parse(lines[1]!).msg).toBe('plain');
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
  });

  it('gives every line its time as an ISO string to the millisecond, as the clock reads it when the line is written', async () => {
    const { lines, log } = capture([]);
    const seen: [number, number][] = [];
    for (let i = 0; i < 40; i++) {
      const before = Date.now();
      log('tick');
      seen.push([before, Date.now()]);
      if (i % 8 === 0) await new Promise((r) => setTimeout(r, 7));
    }
    lines.forEach((l, i) => {
      const { time } = JSON.parse(l);
      expect(time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(Date.parse(time)).toBeGreaterThanOrEqual(seen[i]![0]);
      expect(Date.parse(time)).toBeLessThanOrEqual(seen[i]![1]);
      expect(new Date(Date.parse(time)).toISOString()).toBe(time);
    });
  });

  it('redacts known secrets, also JSON-escaped, bearer tokens, query keys, Google tokens and API keys, in the message and nested fields', () => {
    const secrets = ['prov-key-123456', 'quo"te\\key-99', 'csk_bootstrapbootstrapbootstrap'];
    const { lines, log } = capture(secrets);
    const google = 'ya29.a0AfH6SMBx-google_token.value';
    const apiKey = 'csk_AAAAbbbbCCCCddddEEEEffff0123';
    log(`calling with prov-key-123456 and ${google}`, {
      url: 'https://x/?api_key=abc123&q=1&token=tok456',
      headers: { authorization: 'Bearer opaque-bearer-789' },
      nested: [{ k: 'quo"te\\key-99' }, `key ${apiKey}`, 'csk_bootstrapbootstrapbootstrap'],
    });
    const line = lines[0]!;
    for (const s of [...secrets, 'quo\\"te\\\\key-99', google, apiKey, 'abc123', 'tok456', 'opaque-bearer-789']) expect(line).not.toContain(s);
    // Still JSON, with what is not secret kept.
    const parsed = JSON.parse(line);
    expect(parsed.url).toBe('https://x/?api_key=[redacted]&q=1&token=[redacted]');
    expect(parsed.msg).toBe('calling with [redacted] and [redacted]');
    // Each pattern alone, in any case, and a line with none left as written.
    log('BEARER  tok-abc.def', { u: '/x?ACCESS_TOKEN=t1', k: 'csk_0123456789abcdefXYZ', g: 'ya29.zz' });
    expect(JSON.parse(lines[1]!)).toMatchObject({ msg: 'BEARER  [redacted]', u: '/x?ACCESS_TOKEN=[redacted]', k: '[redacted]', g: '[redacted]' });
    log('request', { url: '/v1/enrich', keys: 'bearer', token: 'x' });
    expect(JSON.parse(lines[2]!)).toMatchObject({ url: '/v1/enrich', keys: 'bearer', token: 'x' });
  });

  it('adds a scope’s fields to every line inside it, across awaits, and to no line outside', async () => {
    const { lines, log } = capture([]);
    let workspace: string | undefined;
    await log.scope(
      () => ({ reqId: 'r-1', ...(workspace ? { workspace } : {}) }),
      async () => {
        log('before auth');
        await new Promise((r) => setTimeout(r, 1));
        workspace = 'ws-a';
        log('after auth', { job: 'job_9' });
      },
    );
    log('outside');
    const [a, b, c] = lines.map((l) => JSON.parse(l));
    expect(a).toMatchObject({ msg: 'before auth', reqId: 'r-1' });
    expect(a.workspace).toBeUndefined();
    expect(b).toMatchObject({ msg: 'after auth', reqId: 'r-1', workspace: 'ws-a', job: 'job_9' });
    expect(c.reqId).toBeUndefined();
  });

  it('logs values JSON.stringify cannot (circular, bigint) instead of throwing', () => {
    const { lines, log } = capture([]);
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = loop;
    log('odd', { loop, big: 10n });
    expect(JSON.parse(lines[0]!).msg).toBe('odd');
  });
});
