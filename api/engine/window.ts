/** "24h" or "7d" in milliseconds. */
export function windowMs(window: string): number {
  const n = Number(window.slice(0, -1));
  return n * (window.endsWith('d') ? 86_400_000 : 3_600_000);
}
