export interface Sample {
  at: number;
  done: number;
}

/** How far back the rate is measured: long enough to smooth batches, short enough to follow a provider slowing down. */
const WINDOW_MS = 60_000;

/**
 * Milliseconds left at the recent rate, or undefined while there is no rate
 * to speak of. Samples are the sidebar's progress polls, oldest first.
 */
export function etaMs(samples: readonly Sample[], total: number): number | undefined {
  const last = samples[samples.length - 1];
  if (!last || last.done >= total) return last ? 0 : undefined;
  const first = samples.find((s) => s.at >= last.at - WINDOW_MS) ?? samples[0]!;
  const rate = (last.done - first.done) / (last.at - first.at);
  if (!(rate > 0)) return undefined;
  return (total - last.done) / rate;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
