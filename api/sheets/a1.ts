/** Column letters as Sheets shows them: `A` is 1, `Z` 26, `AA` 27. */
export function columnIndex(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

export function columnLetter(index: number): string {
  let s = '';
  for (let n = index; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** A tab name quoted for A1 notation: `'Q3 leads'`, with quotes doubled. */
export const quoteSheet = (title: string) => `'${title.replace(/'/g, "''")}'`;
