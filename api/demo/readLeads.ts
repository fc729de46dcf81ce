import { readFile } from 'node:fs/promises';
import type { RowInput } from '../../shared/index.js';

/**
 * The sample leads as job rows, keyed by their line in the file as a sheet
 * would key them by row number. A line with neither email nor website is
 * skipped, as the add-on skips an empty row, so `npm start` and the preview
 * count the same leads (the file's last line is such an empty lead).
 */
export async function readSampleLeads(path = new URL('./sample-leads.csv', import.meta.url)): Promise<{ key: string; input: RowInput }[]> {
  const lines = (await readFile(path, 'utf8')).trimEnd().split('\n').slice(1);
  return lines.flatMap((line, i) => {
    const [email = '', website = ''] = line.split(',');
    const input: RowInput = {};
    if (email.trim()) input.email = email;
    if (website.trim()) input.domain = website;
    return Object.keys(input).length > 0 ? [{ key: String(i + 2), input }] : [];
  });
}
