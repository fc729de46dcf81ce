import type { InStatement } from '@libsql/client';

/** What the writer thread is started with. */
export interface WriterInit {
  url: string;
  /** Per-connection settings (synchronous, busy_timeout): the thread's connection needs the same as the main one. */
  pragmas: string[];
  /** How often the thread checkpoints the WAL into the database file, whoever wrote it (its own commits also checkpoint as SQLite's pragmas say); never if omitted. */
  checkpointEveryMs?: number;
}

export type WriterRequest = { type: 'commit'; id: number; statements: InStatement[] } | { type: 'close' };

/** A commit's outcome; `error` is what SQLite refused, with its result code (`rawCode`) when it has one. */
export interface WriterReply {
  id: number;
  error?: { message: string; rawCode?: number };
}
