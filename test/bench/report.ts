/** Plain-text report lines: a figure, and its target next to it when it has one. */

export const out = (s = '') => process.stdout.write(`${s}\n`);

export const heading = (s: string) => out(`\n== ${s} ${'='.repeat(Math.max(0, 74 - s.length))}`);

export function figure(label: string, value: string, target?: string): void {
  out(`  ${label.padEnd(44)} ${value}${target ? `  (target ${target})` : ''}`);
}

export const num = (x: number, digits = 0) =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : String(x);

export const usd = (x: number, digits = 5) => `$${x.toFixed(digits)}`;

export const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;

/** A fixed-width table: first column left-aligned, the rest right-aligned. */
export function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  out(`    ${fmt(header)}`);
  for (const r of rows) out(`    ${fmt(r)}`);
}
