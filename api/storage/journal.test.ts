import type { InStatement } from '@libsql/client';
import { describe, expect, it } from 'vitest';
import { Journal, type EntryKind } from './journal.js';

const turn = () => new Promise((r) => setImmediate(r));

/** A journal whose commits are recorded: each commit's entries, in order. `refuse` throws for a commit, or not. */
function recorded(minGapMs: number, refuse: (entries: string[]) => Error | undefined = () => undefined, soonGapMs?: number) {
  const commits: string[][] = [];
  const tried: string[][] = [];
  const kind: EntryKind<string> = { statements: (entries) => [{ sql: 'entries', args: entries }] };
  const journal = new Journal(
    async (statements: InStatement[]) => {
      const entries = statements.flatMap((s) => (typeof s === 'string' ? [] : (s.args as string[])));
      tried.push(entries);
      const err = refuse(entries);
      if (err) throw err;
      commits.push(entries);
    },
    { minGapMs, soonGapMs, retryDelaysMs: [20] },
  );
  return { commits, tried, write: (entry: string, soon = false) => journal.write(kind, entry, soon), journal };
}

const sqliteError = (rawCode: number) => Object.assign(new Error(`SQLite result code ${rawCode}`), { rawCode });

describe('Journal', () => {
  it('commits a write after a quiet spell in the next turn', async () => {
    const { commits, write } = recorded(60_000);
    const done = write('a');
    await turn();
    expect(commits).toEqual([['a']]);
    await done;
  });

  it('gathers the writes that follow a commit into one, however many turns apart', async () => {
    const { commits, write, journal } = recorded(200);
    await write('a');
    const later = [write('b')];
    for (let i = 0; i < 5; i++) await turn();
    later.push(write('c'));
    await Promise.all(later);
    expect(commits).toEqual([['a'], ['b', 'c']]);
    // drain() does not wait out the gap: shutdown and a job's end commit at once.
    const d = write('d');
    await journal.drain();
    expect(commits.at(-1)).toEqual(['d']);
    await d;
  });

  it('a write someone waits on brings the commit waiting out the gap forward, with what gathered before it', async () => {
    // A gap of a minute: without `soon`, b and c would wait it out and the test time out.
    const { commits, write } = recorded(60_000, undefined, 0);
    await write('a');
    const b = write('b');
    for (let i = 0; i < 3; i++) await turn();
    expect(commits).toEqual([['a']]);
    await Promise.all([b, write('c', true)]);
    expect(commits).toEqual([['a'], ['b', 'c']]);
  });

  it('written() waits for what was written before it, not for writes that keep coming after as drain() does', async () => {
    const kind: EntryKind<string> = { statements: (entries) => [{ sql: 'entries', args: entries }] };
    // Each commit takes a few turns, as a real one does: writes keep arriving while it is out.
    const journal = new Journal(async () => {
      for (let i = 0; i < 3; i++) await turn();
    });
    void journal.write(kind, 'a');
    let writtenAt = -1;
    let drainedAt = -1;
    let n = 0;
    const written = journal.written().then(() => (writtenAt = n));
    const drained = journal.drain().then(() => (drainedAt = n));
    // Steady writes, one a turn, a bounded number of them.
    for (; n < 200; n++) {
      void journal.write(kind, `w${n}`);
      await turn();
    }
    await written;
    expect(writtenAt).toBeGreaterThanOrEqual(0);
    expect(writtenAt).toBeLessThan(20);
    // drain() followed the writes to their end.
    await drained;
    expect(drainedAt).toBe(200);
    // Nothing written since: resolves at once.
    await journal.written();
  });

  it('tries a commit refused for a passing reason again, with what was written since, until it goes through', async () => {
    let refusals = 2;
    const { commits, tried, write, journal } = recorded(0, () => (refusals-- > 0 ? sqliteError(5 /* SQLITE_BUSY */) : undefined));
    const first = write('a');
    await turn();
    expect(journal.failing).toBe(true);
    const second = write('b');
    await Promise.all([first, second]);
    expect(tried).toEqual([['a'], ['a', 'b'], ['a', 'b']]);
    expect(commits).toEqual([['a', 'b']]);
    expect(journal.failing).toBe(false);
  });

  it('rejects the writers of a commit refused for good, and does not try it again', async () => {
    const { tried, write, journal } = recorded(0, (entries) => (entries.includes('bad') ? sqliteError(19 /* SQLITE_CONSTRAINT */) : undefined));
    await expect(write('bad')).rejects.toThrow('code 19');
    expect(journal.failing).toBe(false);
    await write('good');
    expect(tried).toEqual([['bad'], ['good']]);
  });

  it('counts a read-only database as passing, and a commit out for longer than stallMs as refused', async () => {
    let answer: (() => void) | undefined;
    let started = 0;
    let readOnly = 1;
    const kind: EntryKind<string> = { statements: (entries) => [{ sql: 'entries', args: entries }] };
    const journal = new Journal(
      async () => {
        if (readOnly-- > 0) throw sqliteError(8 /* SQLITE_READONLY */);
        started = performance.now();
        await new Promise<void>((resolve) => (answer = resolve));
      },
      { minGapMs: 0, retryDelaysMs: [1], stallMs: 30 },
    );
    const first = journal.write(kind, 'a');
    await turn();
    expect(journal.failing, 'a read-only database refused the commit: it is tried again').toBe(true);
    for (let i = 0; i < 500 && !answer; i++) await new Promise((r) => setTimeout(r, 2));
    answer!();
    await first;
    expect(journal.failing).toBe(false);
    answer = undefined;
    const second = journal.write(kind, 'b');
    for (let i = 0; i < 500 && !answer; i++) await new Promise((r) => setTimeout(r, 2));
    // Out, but not yet for stallMs (the two reads are microseconds apart, synchronously).
    if (performance.now() - started < 25) expect(journal.failing, 'the commit is out, not yet for stallMs').toBe(false);
    for (let i = 0; i < 500 && !journal.failing; i++) await new Promise((r) => setTimeout(r, 5));
    expect(journal.failing, 'the commit has been out for longer than stallMs').toBe(true);
    answer!();
    await second;
    expect(journal.failing).toBe(false);
  });
});
