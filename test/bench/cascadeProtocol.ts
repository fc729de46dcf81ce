import type { BenchProvider } from './benchConfig.js';

/** What cascadeProcess.ts is started with (as JSON in BENCH_CASCADE). */
export interface CascadeSpec {
  providers: BenchProvider[];
  simUrl: string;
  /** Where the database goes; the parent owns and removes it. */
  dir: string;
  workspace: string;
}

export interface CascadeReady {
  url: string;
  key: string;
}

export type CascadeRequest = { type: 'stats'; resetLoop?: boolean } | { type: 'stop' };

export interface CascadeStats {
  gates: Record<string, { concurrencyLimit: number; congestion: number }>;
  /** Event-loop delay since the last reset: the engine, its synchronous SQLite calls and its HTTP server share this loop. */
  loop: { maxMs: number; p99Ms: number };
  memory: { maxRssMB: number; peakHeapUsedMB: number; peakHeapTotalMB: number; peakExternalMB: number };
}

export type CascadeReply = CascadeStats | null;
