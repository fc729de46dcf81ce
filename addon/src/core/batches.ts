/** UTF-8 size of a string, without TextEncoder (Apps Script has none). */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Cuts rows into request bodies of at most `maxBytes` of JSON, keeping their
 * order: long cells make a batch smaller, never a request too large. A single
 * row over the limit still goes alone; the API flags it rather than the
 * add-on dropping it.
 */
export function splitByPayload<T>(rows: readonly T[], maxBytes: number, envelopeBytes = 64): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let size = envelopeBytes;
  for (const row of rows) {
    const bytes = utf8Bytes(JSON.stringify(row)) + 1;
    if (current.length > 0 && size + bytes > maxBytes) {
      out.push(current);
      current = [];
      size = envelopeBytes;
    }
    current.push(row);
    size += bytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** `n` indexes spread evenly over `0..total-1` (all of them when total ≤ n): a sample that sees the whole column. */
export function evenSample(total: number, n: number): number[] {
  if (total <= n) return Array.from({ length: total }, (_, i) => i);
  return Array.from({ length: n }, (_, i) => Math.floor((i * total) / n));
}
