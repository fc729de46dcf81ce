import type { InStatement } from '@libsql/client';
import { describe, expect, it } from 'vitest';
import { Journal, type EntryKind } from './journal.js';

const turn = () => new Promise((r) => setImmediate(r));

/** A journal whose commits are recorded: each commit's entries, in order. */
function recorded(minGapMs: number) {
  const commits: string[][] = [];
  const kind: EntryKind<string> = { statements: (entries) => [{ sql: 'entries', args: entries }] };
  const journal = new Journal(
    async (statements: InStatement[]) => {
      commits.push(statements.flatMap((s) => (typeof s === 'string' ? [] : (s.args as string[]))));
    },
    { minGapMs },
  );
  return { commits, write: (entry: string) => journal.write(kind, entry), journal };
}

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
});
